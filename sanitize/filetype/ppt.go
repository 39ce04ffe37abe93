package filetype

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf16"
)

// A PowerPoint 97-2003 presentation (.ppt .pps .pot) keeps what a .doc
// or an .xls keeps as storages of the compound file (the VBA project,
// embedded and linked OLE objects, ActiveX controls) as records of its
// "PowerPoint Document" stream ([MS-PPT] 2.1.2, 2.3.1): the directory
// does not show them, so the stream's records are walked for them, and
// for the slide actions that run a macro, a program or an object.

// Record types ([MS-PPT] 2.13.24 RecordType) that block keeping.
const (
	rtVBAInfo          = 0x03FF // VBAInfoContainer: the VBA project
	rtVBAInfoAtom      = 0x0400
	rtExOleObjStg      = 0x1011 // an OLE object's, a control's or the VBA project's storage
	rtExOleEmbed       = 0x0FCC // ExOleEmbedContainer
	rtExOleEmbedAtom   = 0x0FCD
	rtExOleLink        = 0x0FCE // ExOleLinkContainer: a linked object
	rtExOleLinkAtom    = 0x0FD1
	rtExControl        = 0x0FEE // ExControlContainer: an ActiveX control
	rtExControlAtom    = 0x0FFB
	rtInteractiveInfo  = 0x0FF3 // InteractiveInfoAtom: a shape's or a text's action
	rtCryptSession10   = 0x2F14 // CryptSession10Container: the records are encrypted
	rtUserEditAtom     = 0x0FF5 // where an edit's persist directory is
	rtPersistDirectory = 0x1772 // PersistDirectoryAtom: where the persist objects are
	rtExHyperlink      = 0x0FD7 // ExHyperlinkContainer: a link's target, a CString of instance 1
	rtCString          = 0x0FBA
	// Movies and sounds played from a file the record names (a share's
	// hands over the user's NTLM hash), not from the presentation.
	rtExAviMovie         = 0x1006
	rtExMCIMovie         = 0x1007
	rtExMIDIAudio        = 0x100D
	rtExWAVAudioLink     = 0x1010
	pptMaxLinkTarget     = 4096 // bytes of a hyperlink's target read
	pptRecordHeader      = 8
	interactiveActionOff = 8 // action, after soundIdRef and exHyperlinkIdRef
)

const (
	// pptMaxRecords bounds the records walked in one stream: a record
	// is at least its 8-byte header, so a 25 MiB stream could hold 3
	// million; real presentations hold far fewer than a million.
	pptMaxRecords = 1 << 20
	// pptMaxDepth bounds container nesting. A shape in a group in a
	// group of a slide's drawing is some ten levels deep; PowerPoint
	// nests groups further only by hand.
	pptMaxDepth = 64
	// pptMaxStreams bounds the "PowerPoint Document" streams walked in
	// one compound file (one is the presentation's; more are in
	// presentations embedded in a .doc's object pool).
	pptMaxStreams = 8
)

// pptFindings is what the records of "PowerPoint Document" streams
// hold that blocks keeping the file.
type pptFindings struct {
	vba       bool     // VBAInfoContainer or VBAInfoAtom
	linked    bool     // ExOleLinkContainer or ExOleLinkAtom
	encrypted bool     // CryptSession10Container
	objects   []string // embedded objects and controls, by kind, once each
	macros    []string // slide actions running a macro or a program
	verbs     bool     // a slide action running an object's verb
	media     bool     // a movie or sound linked from a file
	// links are the hyperlinks' targets, which count as a DOCX's
	// HYPERLINK fields do: only the web, mail and phone numbers stay.
	links []string
}

func (f *pptFindings) merge(o pptFindings) {
	f.vba = f.vba || o.vba
	f.linked = f.linked || o.linked
	f.encrypted = f.encrypted || o.encrypted
	f.verbs = f.verbs || o.verbs
	f.media = f.media || o.media
	f.links = append(f.links, o.links...)
	for _, s := range o.objects {
		f.object(s)
	}
	for _, s := range o.macros {
		f.macro(s)
	}
}

func (f *pptFindings) object(what string) {
	if !slices.Contains(f.objects, what) {
		f.objects = append(f.objects, what)
	}
}

func (f *pptFindings) macro(what string) {
	if !slices.Contains(f.macros, what) {
		f.macros = append(f.macros, what)
	}
}

// pptEncryptedToken is a CurrentUserAtom's headerToken for a
// presentation whose records are encrypted ([MS-PPT] 2.3.2).
const pptEncryptedToken = 0xF3D1C4DF

// presentation walks the "PowerPoint Document" streams of a compound
// file (docs) and checks where the "Current User" streams (users) say
// PowerPoint starts reading. unread, if not "", says why a stream was
// not walked to its end or is not read as PowerPoint reads it.
func (c *cfbReader) presentation(docs, users []oleStream, charge func(int64) bool) (f pptFindings, unread string) {
	if len(docs) > pptMaxStreams {
		return f, fmt.Sprintf("one of more than %d streams so named", pptMaxStreams)
	}
	// PowerPoint starts from the CurrentUserAtom: its headerToken says
	// whether the records are encrypted, offsetToCurrentEdit where the
	// last edit's UserEditAtom is (8 bytes of header, size, then them).
	var edits []uint32
	for _, u := range users {
		var b [20]byte
		s, err := c.stream(u, charge)
		if err == nil {
			err = s.read(b[:])
		}
		if err != nil {
			return f, "Current User: " + err.Error()
		}
		if binary.LittleEndian.Uint32(b[12:]) == pptEncryptedToken {
			// Not records to walk; the file is not kept as encrypted.
			f.encrypted = true
			return f, ""
		}
		edits = append(edits, binary.LittleEndian.Uint32(b[16:]))
	}
	var starts [][]uint32
	for _, st := range docs {
		p, at, err := c.pptRecords(st, charge)
		f.merge(p)
		if err != nil {
			return f, err.Error()
		}
		starts = append(starts, at)
	}
	if f.encrypted {
		return f, ""
	}
	// Which Current User goes with which stream the flat directory walk
	// does not say (a presentation embedded in a .doc has both in its
	// object's storage): each edit must start a record of one of them.
	for _, e := range edits {
		found := false
		for _, at := range starts {
			_, ok := slices.BinarySearch(at, e)
			found = found || ok
		}
		if !found {
			return f, fmt.Sprintf("Current User: its edit at %d is not at a record", e)
		}
	}
	return f, ""
}

// pptRecords walks the records of a "PowerPoint Document" stream
// ([MS-PPT] 2.3.1 RecordHeader: recVer in the low 4 bits, recInstance
// in the high 12, recType, recLen; a recVer of 0xF is a container whose
// children fill its recLen). Every record must lie within its container
// and the stream, which must be made of records to its end, as
// PowerPoint reads it. PowerPoint finds the top records (the persist
// objects: the document, slides, OLE storages) by the offsets of the
// persist directory, not in sequence, so each offset there must be
// where a top record starts: one pointing into an atom's bytes would
// have PowerPoint read records the walk took for data. It returns what
// was found so far with an error when the stream cannot be walked to
// its end, and where its top records start, in order.
func (c *cfbReader) pptRecords(st oleStream, charge func(int64) bool) (f pptFindings, starts []uint32, err error) {
	s, err := c.stream(st, charge)
	if err != nil {
		return f, nil, err
	}
	var refs []uint32       // offsets of the persist directory and the edits
	ends := []int64{s.size} // where each open container ends, the stream first
	types := []uint16{0}    // the type of each, 0 for the stream
	var hdr [pptRecordHeader]byte
	var body [interactiveActionOff + 1]byte
	for records := 0; ; records++ {
		for len(ends) > 1 && s.pos == ends[len(ends)-1] {
			ends, types = ends[:len(ends)-1], types[:len(types)-1]
		}
		if s.pos == ends[0] {
			break
		}
		if records == pptMaxRecords {
			return f, nil, fmt.Errorf("more than %d records", pptMaxRecords)
		}
		end := ends[len(ends)-1]
		at := s.pos
		if end-at < pptRecordHeader {
			return f, nil, fmt.Errorf("record header at %d cut by its container's end", at)
		}
		if err := s.read(hdr[:]); err != nil {
			return f, nil, fmt.Errorf("record at %d: %w", at, err)
		}
		ver := hdr[0] & 0xF
		typ := binary.LittleEndian.Uint16(hdr[2:])
		n := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if n > end-s.pos {
			return f, nil, fmt.Errorf("record 0x%04X at %d longer than its container", typ, at)
		}
		top := len(ends) == 1
		if top {
			// Offsets in the persist directory are 32 bits.
			if at > 0xFFFFFFFF {
				return f, nil, fmt.Errorf("record at %d past 4 GiB", at)
			}
			starts = append(starts, uint32(at))
		}
		switch typ {
		case rtExOleObjStg:
			f.object("OLE object storage")
		case rtExOleEmbed, rtExOleEmbedAtom:
			f.object("embedded OLE object")
		case rtExControl, rtExControlAtom:
			f.object("ActiveX control")
		case rtExOleLink, rtExOleLinkAtom:
			f.linked = true
		case rtExAviMovie, rtExMCIMovie, rtExMIDIAudio, rtExWAVAudioLink:
			f.media = true
		case rtCryptSession10:
			// What follows is encrypted ([MS-PPT] 2.3.7): not records
			// to walk, and the file is not kept as encrypted.
			f.encrypted = true
			return f, starts, nil
		}
		if ver == 0xF {
			if len(ends) > pptMaxDepth {
				return f, nil, fmt.Errorf("containers nested deeper than %d at %d", pptMaxDepth, at)
			}
			ends, types = append(ends, s.pos+n), append(types, typ)
			continue
		}
		switch {
		case top && typ == rtUserEditAtom:
			// offsetLastEdit, offsetPersistDirectory after
			// lastSlideIdRef and the versions ([MS-PPT] 2.3.3).
			var b [16]byte
			if n < int64(len(b)) {
				return f, nil, fmt.Errorf("UserEditAtom at %d shorter than its offsets", at)
			}
			if err := s.read(b[:]); err != nil {
				return f, nil, fmt.Errorf("record at %d: %w", at, err)
			}
			n -= int64(len(b))
			refs = append(refs, binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:]))
		case top && typ == rtPersistDirectory:
			// PersistDirectoryEntry: persistId (20 bits) and
			// cPersist (12), then cPersist offsets ([MS-PPT] 2.3.5).
			for n > 0 {
				var w [4]byte
				if n < 4 {
					return f, nil, fmt.Errorf("PersistDirectoryAtom at %d cut in an entry", at)
				}
				if err := s.read(w[:]); err != nil {
					return f, nil, fmt.Errorf("record at %d: %w", at, err)
				}
				n -= 4
				count := int64(binary.LittleEndian.Uint32(w[:]) >> 20)
				if count*4 > n {
					return f, nil, fmt.Errorf("PersistDirectoryAtom at %d cut in an entry", at)
				}
				if len(refs)+int(count) > pptMaxRecords {
					return f, nil, fmt.Errorf("more than %d persist objects", pptMaxRecords)
				}
				for ; count > 0; count-- {
					if err := s.read(w[:]); err != nil {
						return f, nil, fmt.Errorf("record at %d: %w", at, err)
					}
					n -= 4
					refs = append(refs, binary.LittleEndian.Uint32(w[:]))
				}
			}
		case typ == rtCString && binary.LittleEndian.Uint16(hdr[:])>>4 == 1 && types[len(types)-1] == rtExHyperlink:
			// The TargetAtom: UTF-16, its start read.
			b := make([]byte, min(n, pptMaxLinkTarget)&^1)
			if err := s.read(b); err != nil {
				return f, nil, fmt.Errorf("record at %d: %w", at, err)
			}
			n -= int64(len(b))
			u := make([]uint16, len(b)/2)
			for i := range u {
				u[i] = binary.LittleEndian.Uint16(b[2*i:])
			}
			f.links = append(f.links, string(utf16.Decode(u)))
		case typ == rtVBAInfoAtom:
			// persistIdRef, the VBA project's storage, then fHasMacros
			// ([MS-PPT] 2.4.10). LibreOffice writes one of zeros into
			// every presentation: that is no project. Either set, or an
			// atom too short to say, is.
			var b [8]byte
			if n < int64(len(b)) {
				f.vba = true
				break
			}
			if err := s.read(b[:]); err != nil {
				return f, nil, fmt.Errorf("record at %d: %w", at, err)
			}
			n -= int64(len(b))
			if binary.LittleEndian.Uint32(b[:]) != 0 || binary.LittleEndian.Uint32(b[4:]) != 0 {
				f.vba = true
			}
		case typ == rtInteractiveInfo:
			if n < int64(len(body)) {
				return f, nil, fmt.Errorf("InteractiveInfoAtom at %d shorter than its action", at)
			}
			if err := s.read(body[:]); err != nil {
				return f, nil, fmt.Errorf("record at %d: %w", at, err)
			}
			n -= int64(len(body))
			// [MS-PPT] 2.13.15 InteractiveInfoActionEnum.
			switch body[interactiveActionOff] {
			case 1:
				f.macro("slide action running a macro")
			case 2:
				f.macro("slide action running a program")
			case 5:
				f.verbs = true
			}
		}
		if err := s.skip(n); err != nil {
			return f, nil, fmt.Errorf("record at %d: %w", at, err)
		}
	}
	if err := s.finish(); err != nil {
		return f, nil, err
	}
	for _, r := range refs {
		if _, ok := slices.BinarySearch(starts, r); !ok {
			return f, nil, fmt.Errorf("persist object or edit at %d is not at a record", r)
		}
	}
	return f, starts, nil
}
