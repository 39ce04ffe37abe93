package filetype

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// pptRec is a PowerPoint record ([MS-PPT] 2.3.1): an atom with its
// body, or, with ver 0xF, a container with its children's bytes.
func pptRec(ver uint8, inst uint16, typ uint16, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	h := binary.LittleEndian.AppendUint16(nil, uint16(ver)|inst<<4)
	h = binary.LittleEndian.AppendUint16(h, typ)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(b)))
	return append(h, b...)
}

func pptAtom(typ uint16, body []byte) []byte { return pptRec(0, 0, typ, body) }

func pptContainer(typ uint16, children ...[]byte) []byte {
	return pptRec(0xF, 0, typ, children...)
}

func utf16Bytes(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// pptAction is a shape's click action, in the OfficeArt client data of
// a shape in a slide's drawing ([MS-PPT] 2.6.10 InteractiveInfoAtom:
// soundIdRef, exHyperlinkIdRef, then the action).
func pptAction(action byte) []byte {
	atom := make([]byte, 16)
	binary.LittleEndian.PutUint32(atom[4:], 1)
	atom[8] = action
	return pptContainer(0x040C, // PPDrawing
		pptContainer(0xF002, // OfficeArtDgContainer
			pptContainer(0xF003, // OfficeArtSpgrContainer
				pptContainer(0xF004, // OfficeArtSpContainer
					pptRec(2, 0, 0xF00A, make([]byte, 8)), // OfficeArtFSP
					pptContainer(0xF011, // OfficeArtClientData
						pptContainer(0x0FF2, pptAtom(rtInteractiveInfo, atom)))))))
}

// pptStream is a "PowerPoint Document" stream as PowerPoint lays it
// out: the document (its external objects: a hyperlink to the web),
// then a slide whose shape links to it, then the persist directory
// (the document's, the slide's and the first top record's offsets) and
// the UserEditAtom pointing to it, last (pptEditAt). doc and slide add
// records to the document and the slide, top records after them; pad,
// if not 0, adds a sound's bytes to the slide so that the stream is
// that much longer.
func pptStream(doc, slide, top []byte, pad int) []byte {
	hyperlink := pptContainer(0x0FD7, // ExHyperlinkContainer
		pptAtom(0x0FD3, []byte{1, 0, 0, 0}),
		pptRec(0, 1, 0x0FBA, utf16Bytes("https://www.city.example.lg.jp/")))
	s := pptContainer(0x03E8, // DocumentContainer
		pptRec(1, 0, 0x03E9, make([]byte, 40)),                               // DocumentAtom
		pptContainer(0x0409, pptAtom(0x040A, []byte{1, 0, 0, 0}), hyperlink), // ExObjList
		doc,
		pptAtom(0x03EA, nil)) // EndDocumentAtom
	body := [][]byte{pptRec(2, 0, 0x03EF, make([]byte, 24)), pptAction(4), slide}
	if pad > 0 {
		body = append(body, pptAtom(0x07E7, make([]byte, pad))) // SoundDataBlob
	}
	persist := []uint32{0, uint32(len(s))}
	s = append(s, pptContainer(0x03EE, body...)...) // SlideContainer
	if len(top) > 0 {
		persist = append(persist, uint32(len(s)))
	}
	s = append(s, top...)
	return pptEdit(s, persist...)
}

// pptEdit appends to s a persist directory listing offsets (persist
// ids from 1) and the UserEditAtom pointing to it ([MS-PPT] 2.3.3-5).
func pptEdit(s []byte, offsets ...uint32) []byte {
	dir := binary.LittleEndian.AppendUint32(nil, 1|uint32(len(offsets))<<20)
	for _, o := range offsets {
		dir = binary.LittleEndian.AppendUint32(dir, o)
	}
	at := uint32(len(s))
	s = append(s, pptAtom(rtPersistDirectory, dir)...)
	edit := make([]byte, 28)
	binary.LittleEndian.PutUint32(edit[8:], 0)   // offsetLastEdit: none before
	binary.LittleEndian.PutUint32(edit[12:], at) // offsetPersistDirectory
	binary.LittleEndian.PutUint32(edit[16:], 1)  // docPersistIdRef
	return append(s, pptAtom(rtUserEditAtom, edit)...)
}

// pptEditAt is where pptStream's UserEditAtom is: last, 8+28 bytes.
func pptEditAt(s []byte) uint32 { return uint32(len(s) - 36) }

// pptFile is a .ppt holding stream as its "PowerPoint Document", its
// last edit at pptEditAt.
func pptFile(stream []byte) []byte { return pptFileEdit(stream, pptEditAt(stream), 0xE391C05F) }

// pptFileEdit is a .ppt whose CurrentUserAtom says its last edit is at
// edit, with headerToken token (0xF3D1C4DF: encrypted).
func pptFileEdit(stream []byte, edit, token uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b, 0x14)
	binary.LittleEndian.PutUint32(b[4:], token)
	binary.LittleEndian.PutUint32(b[8:], edit)
	cu := pptAtom(0x0FF6, b) // CurrentUserAtom
	return cfbFile(nil,
		cfbEnt{name: "PowerPoint Document", typ: 2, data: stream},
		cfbEnt{name: "Current User", typ: 2, data: cu})
}

const pptFindingDoc = "(PowerPoint Document: "

// TestPPTRecords: a PowerPoint 97-2003 presentation keeps its VBA
// project, embedded and linked objects and ActiveX controls as records
// of its "PowerPoint Document" stream, which the directory does not
// show: before, a .ppt with macros, an embedded object or a slide
// action running a program was clean. Each case has the stream in the
// mini stream (under 4096 bytes) and in sectors of its own.
func TestPPTRecords(t *testing.T) {
	vbaInfo := pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, []byte{1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}))
	oleStg := pptRec(0, 1, rtExOleObjStg, []byte{0, 2, 0, 0, 0x78, 0x9c, 3, 0, 0, 0, 0, 1})
	objAtom := pptAtom(0x0FC3, make([]byte, 24)) // ExOleObjAtom
	embed := pptContainer(0x0409, pptContainer(rtExOleEmbed, pptAtom(rtExOleEmbedAtom, make([]byte, 8)), objAtom))
	link := pptContainer(0x0409, pptContainer(rtExOleLink, pptAtom(rtExOleLinkAtom, make([]byte, 12)), objAtom))
	control := pptContainer(0x0409, pptContainer(rtExControl, pptAtom(rtExControlAtom, make([]byte, 4)), objAtom))
	hyperlink := func(target string) []byte {
		return pptContainer(0x0409, pptContainer(rtExHyperlink, pptAtom(0x0FD3, []byte{2, 0, 0, 0}),
			pptRec(0, 0, rtCString, utf16Bytes("click here")), pptRec(0, 1, rtCString, utf16Bytes(target))))
	}
	movie := pptContainer(0x0409, pptContainer(rtExMCIMovie, pptContainer(0x1005, pptAtom(0x0FD1, make([]byte, 12)), pptRec(0, 1, rtCString, utf16Bytes(`\\evil.example\s\a.avi`)))))
	for _, tc := range []struct {
		name             string
		doc, slide, top  []byte
		clean, encrypted bool
		findings         []string
	}{
		{name: "clean: a slide with a hyperlink to the web", clean: true},
		{name: "VBA project", doc: vbaInfo, findings: []string{MacroFinding}},
		// LibreOffice writes a VBAInfoAtom of zeros (no storage, no
		// macros) into every presentation it saves as .ppt.
		{name: "clean: LibreOffice's empty VBA info", doc: pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})), clean: true},
		{name: "VBA info saying it has macros", doc: pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, []byte{0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0})), findings: []string{MacroFinding}},
		{name: "VBA info too short to say", doc: pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, []byte{0, 0})), findings: []string{MacroFinding}},
		{name: "VBA project storage and info", doc: vbaInfo, top: oleStg,
			findings: []string{MacroFinding, EmbeddedObject + " " + pptFindingDoc + "OLE object storage)"}},
		{name: "OLE object storage", top: oleStg, findings: []string{EmbeddedObject + " " + pptFindingDoc + "OLE object storage)"}},
		{name: "embedded object", doc: embed, top: oleStg,
			findings: []string{EmbeddedObject + " " + pptFindingDoc + "embedded OLE object)", EmbeddedObject + " " + pptFindingDoc + "OLE object storage)"}},
		{name: "linked object", doc: link, findings: []string{OLELinkObject}},
		{name: "ActiveX control", doc: control, findings: []string{EmbeddedObject + " " + pptFindingDoc + "ActiveX control)"}},
		{name: "slide action running a macro", slide: pptAction(1), findings: []string{MacroFinding + " " + pptFindingDoc + "slide action running a macro)"}},
		{name: "slide action running a program", slide: pptAction(2), findings: []string{MacroFinding + " " + pptFindingDoc + "slide action running a program)"}},
		{name: "slide action running an object's verb", slide: pptAction(5), findings: []string{EmbeddedObject + " " + pptFindingDoc + "slide action running an object's verb)"}},
		{name: "slide actions that move or play", slide: bytes.Join([][]byte{pptAction(0), pptAction(3), pptAction(6), pptAction(7)}, nil), clean: true},
		{name: "hyperlink to a program", doc: hyperlink("file:///C:/Windows/System32/cmd.exe"), slide: pptAction(4),
			findings: []string{"office: link to a file (file:) " + pptFindingDoc + "hyperlink)"}},
		{name: "hyperlink to a share", doc: hyperlink(`\\evil.example\s\x.xlsx`), slide: pptAction(4),
			findings: []string{"office: link to a network share (UNC path) " + pptFindingDoc + "hyperlink)"}},
		{name: "hyperlinks to the web and mail", doc: bytes.Join([][]byte{hyperlink("https://www.city.example.lg.jp/a"), hyperlink("mailto:soumu@city.example.lg.jp")}, nil), clean: true},
		{name: "movie played from a share", doc: movie, findings: []string{"office: external reference movie or sound " + pptFindingDoc + "played from a file)"}},
		{name: "encrypted", top: pptContainer(rtCryptSession10, pptAtom(0x2F15, make([]byte, 8))), encrypted: true,
			findings: []string{"office: encrypted document"}},
	} {
		for _, pad := range []int{0, 5000} {
			name := tc.name + ", in the mini stream"
			if pad > 0 {
				name = tc.name + ", in sectors of its own"
			}
			t.Run(name, func(t *testing.T) {
				s := pptStream(tc.doc, tc.slide, tc.top, pad)
				if (len(s) >= 4096) != (pad > 0) {
					t.Fatalf("stream of %d bytes with pad %d", len(s), pad)
				}
				data := pptFile(s)
				class := ClassOffice
				if tc.encrypted {
					class = ClassEncryptedArchive
				}
				runClassify(t, []classifyCase{{name: "ppt", data: data, filename: "a.ppt", class: class,
					sniffed: "application/vnd.ms-powerpoint", enc: tc.encrypted, clean: tc.clean, findings: tc.findings}})
			})
		}
	}
}

// TestPPTInArchive: the findings of a .ppt in an archive name it.
func TestPPTInArchive(t *testing.T) {
	ppt := pptFile(pptStream(nil, pptAction(2), nil, 0))
	runClassify(t, []classifyCase{{name: "stored", filename: "a.zip",
		data:  zipFile(t, zent{name: "s.ppt", data: ppt, method: zip.Store}),
		class: ClassArchive, findings: []string{MacroFinding + " s.ppt " + pptFindingDoc + "slide action running a program)"}}})
}

// TestPPTUnread: a stream that cannot be walked to its end, as
// PowerPoint reads it, fails closed: what is past the fault is not
// known.
func TestPPTUnread(t *testing.T) {
	unread := oleNotFullyRead + " " + pptFindingDoc
	// A record longer than its container: the document container says
	// 48 bytes; its first atom claims more.
	overrun := pptStream(nil, nil, nil, 0)
	binary.LittleEndian.PutUint32(overrun[8+4:], 1000)
	// A container whose end cuts a child's header.
	cut := append(pptContainer(0x03E8, pptAtom(0x03EA, nil), []byte{0, 0, 0}), pptStream(nil, nil, nil, 0)...)
	// Containers nested past the bound.
	deep := pptAtom(0x03EA, nil)
	for range pptMaxDepth + 1 {
		deep = pptContainer(0x03E8, deep)
	}
	shallow := pptAtom(0x03EA, nil)
	for range pptMaxDepth - 1 {
		shallow = pptContainer(0x03E8, shallow)
	}
	base := pptStream(nil, nil, nil, 0)
	after := func(b ...byte) []byte {
		return pptFileEdit(append(append([]byte(nil), base...), b...), pptEditAt(base), 0xE391C05F)
	}
	// Bytes after the last record that are not one.
	tail := append(append([]byte(nil), base...), 1, 2, 3)
	// An InteractiveInfoAtom too short to hold its action.
	short := pptStream(nil, pptContainer(0x0FF2, pptAtom(rtInteractiveInfo, make([]byte, 4))), nil, 0)

	for _, tc := range []struct {
		name    string
		data    []byte
		finding string // "" for clean; ending in " at ", a prefix
	}{
		{"record longer than its container", pptFile(overrun), unread + "record 0x03E9 at 8 longer than its container)"},
		{"record longer than the stream", after(pptAtom(0x07E7, []byte{1})[:8]...), unread + fmt.Sprintf("record 0x07E7 at %d longer than its container)", len(base))},
		{"header cut by its container's end", pptFile(cut), unread + "record header at 16 cut by its container's end)"},
		{"nesting past the bound", after(deep...), unread + fmt.Sprintf("containers nested deeper than %d at %d)", pptMaxDepth, len(base)+8*pptMaxDepth)},
		{"nesting up to the bound", after(shallow...), ""},
		{"a tail that is not a record", pptFileEdit(tail, pptEditAt(base), 0xE391C05F), unread + fmt.Sprintf("record header at %d cut by its container's end)", len(base))},
		{"action cut short", pptFile(short), unread + "InteractiveInfoAtom at "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), "", "a.ppt", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.finding == "":
				if len(res.Findings) != 0 {
					t.Errorf("findings %q, want none", res.Findings)
				}
			case strings.HasSuffix(tc.finding, " at "):
				if !hasFindingPrefix(res.Findings, tc.finding) {
					t.Errorf("findings %q, want one starting %q", res.Findings, tc.finding)
				}
			case !containsString(res.Findings, tc.finding):
				t.Errorf("findings %q, want %q", res.Findings, tc.finding)
			}
		})
	}
}

func hasFindingPrefix(findings []string, prefix string) bool {
	for _, f := range findings {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestPPTPersistOffsets: PowerPoint finds the document, the slides and
// the OLE storages by the offsets of the persist directory, starting
// from the Current User stream's, not by walking the stream: an offset
// into the bytes of an atom would have it read records there that the
// walk took for a sound's data. Such a file is not read as clean.
func TestPPTPersistOffsets(t *testing.T) {
	doc := pptContainer(0x03E8, pptRec(1, 0, 0x03E9, make([]byte, 40)), pptAtom(0x03EA, nil))
	hidden := pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, make([]byte, 12)))
	s := append(append([]byte(nil), doc...), pptAtom(0x07E7, hidden)...) // SoundDataBlob
	inside := uint32(len(doc) + 8)
	hiddenObject := pptEdit(append([]byte(nil), s...), 0, inside)
	clean := pptEdit(append([]byte(nil), s...), 0)
	unread := oleNotFullyRead + " " + pptFindingDoc
	runClassify(t, []classifyCase{
		{name: "clean, the sound's bytes not listed", filename: "a.ppt", data: pptFile(clean), class: ClassOffice, clean: true},
		{name: "a persist object in a sound's bytes", filename: "a.ppt", data: pptFile(hiddenObject), class: ClassOffice,
			findings: []string{unread + fmt.Sprintf("persist object or edit at %d is not at a record)", inside)}},
		{name: "the last edit in a sound's bytes", filename: "a.ppt", data: pptFileEdit(clean, inside, 0xE391C05F), class: ClassOffice,
			findings: []string{unread + fmt.Sprintf("Current User: its edit at %d is not at a record)", inside)}},
		{name: "encrypted, by the Current User's token", filename: "a.ppt", data: pptFileEdit(clean, pptEditAt(clean), pptEncryptedToken),
			class: ClassEncryptedArchive, enc: true, findings: []string{"office: encrypted document"}},
	})
}

// TestPPTChain: a "PowerPoint Document" stream whose sector chain loops
// or leaves the file is not read as clean, and the loop is found at once
// rather than walked as far as the stream's size. The stream is clean
// but for its chain, in sectors of its own or in the mini stream.
func TestPPTChain(t *testing.T) {
	const sec = 512
	dirEnt := func(b []byte, i int) []byte { return b[2*sec+128*i : 2*sec+128*(i+1)] }
	start := func(b []byte) uint32 { return binary.LittleEndian.Uint32(dirEnt(b, 1)[0x74:]) }
	big := func() []byte { return pptFile(pptStream(nil, nil, nil, 30000)) }
	small := func() []byte { return pptFile(pptStream(nil, nil, nil, 0)) }
	miniFAT := func(b []byte) []byte {
		s := binary.LittleEndian.Uint32(b[0x3c:])
		return b[sec*(int(s)+1) : sec*(int(s)+2)]
	}
	for _, tc := range []struct {
		name string
		data func() []byte
		want string
	}{
		{"clean, in sectors of its own", big, ""},
		{"clean, in the mini stream", small, ""},
		{"a sector pointing back to the chain's start", func() []byte {
			b := big()
			s := start(b)
			binary.LittleEndian.PutUint32(b[sec+4*int(s+20):], s)
			return b
		}, "sector chain loops"},
		{"a sector pointing to itself under a skipped atom", func() []byte {
			b := big()
			s := start(b)
			binary.LittleEndian.PutUint32(b[sec+4*int(s+10):], s+10)
			return b
		}, "sector chain loops"},
		{"a sector past the file", func() []byte {
			b := big()
			s := start(b)
			binary.LittleEndian.PutUint32(b[sec+4*int(s+5):], 0x7fffff)
			return b
		}, "sector chain broken"},
		{"a mini sector pointing back", func() []byte {
			b := small()
			s := start(b)
			binary.LittleEndian.PutUint32(miniFAT(b)[4*int(s+3):], s)
			return b
		}, "sector chain loops"},
		{"a size past the file", func() []byte {
			b := big()
			binary.LittleEndian.PutUint64(dirEnt(b, 1)[0x78:], uint64(len(b))+1)
			return b
		}, "shorter than its records say"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data()
			began := time.Now()
			res, err := Classify(bytes.NewReader(data), int64(len(data)), "", "a.ppt", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(began); d > time.Second {
				t.Errorf("took %v", d)
			}
			if tc.want == "" {
				if len(res.Findings) != 0 {
					t.Errorf("findings %q, want none", res.Findings)
				}
				return
			}
			ok := false
			for _, f := range res.Findings {
				ok = ok || strings.HasPrefix(f, oleNotFullyRead+" "+pptFindingDoc) && strings.Contains(f, tc.want)
			}
			if !ok {
				t.Errorf("findings %q, want the stream not fully read (%s)", res.Findings, tc.want)
			}
		})
	}
}

// TestPPTBudget: the bytes of a "PowerPoint Document" stream walked
// count against the attachment's budget (Limits.MaxTotal), as the
// members of an archive do: a thousand stored members over one .ppt
// would each walk it.
func TestPPTBudget(t *testing.T) {
	data := pptFile(pptStream(nil, nil, nil, 30000))
	res, err := Classify(bytes.NewReader(data), int64(len(data)), "", "a.ppt", Limits{MaxTotal: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if !containsString(res.Findings, "archive: total size exceeded (10000 bytes)") ||
		!hasFindingPrefix(res.Findings, oleNotFullyRead+" "+pptFindingDoc+"record at ") {
		t.Errorf("findings %q, want the budget spent", res.Findings)
	}
	res, err = Classify(bytes.NewReader(data), int64(len(data)), "", "a.ppt", Limits{MaxTotal: 40000})
	if err != nil || len(res.Findings) != 0 {
		t.Errorf("within the budget: %q, %v", res.Findings, err)
	}
}
