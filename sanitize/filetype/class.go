package filetype

// Class is the family of an attachment. Its values are used as Prometheus
// label values, so the set is closed: exactly the eight constants below.
type Class string

// The classes, from the strictest to the most harmless (see Stricter).
const (
	ClassExecutable       Class = "executable"
	ClassEncryptedArchive Class = "encrypted-archive"
	ClassArchive          Class = "archive"
	ClassOffice           Class = "office"
	ClassPDF              Class = "pdf"
	ClassOther            Class = "other"
	ClassImage            Class = "image"
	ClassText             Class = "text"
)

// AllClasses returns every class, strictest first (e.g. to initialise
// metric label values).
func AllClasses() []Class {
	return []Class{
		ClassExecutable, ClassEncryptedArchive, ClassArchive, ClassOffice,
		ClassPDF, ClassOther, ClassImage, ClassText,
	}
}

// rank orders classes: a higher rank is stricter. Other sits above image and
// text because "we do not know what it is" must never win over "harmless".
func (c Class) rank() int {
	switch c {
	case ClassExecutable:
		return 8
	case ClassEncryptedArchive:
		return 7
	case ClassArchive:
		return 6
	case ClassOffice:
		return 5
	case ClassPDF:
		return 4
	case ClassOther:
		return 3
	case ClassImage:
		return 2
	case ClassText:
		return 1
	}
	return 0 // "" or unknown: no opinion
}

// Valid reports whether c is one of the eight classes.
func (c Class) Valid() bool { return c.rank() > 0 }

// Stricter reports whether a is stricter than b. Any class is stricter than
// the empty class (no opinion).
func Stricter(a, b Class) bool { return a.rank() > b.rank() }

// strictest returns the strictest of the given classes, "" if all are empty.
func strictest(cs ...Class) Class {
	var best Class
	for _, c := range cs {
		if c.rank() > best.rank() {
			best = c
		}
	}
	return best
}

// Limits bound archive inspection. A zero or negative field takes the
// default of the embedded policy (DefaultLimits).
type Limits struct {
	MaxDepth   int     // archive nesting: the attachment itself is level 1
	MaxEntries int     // entries in all archives of one attachment together
	MaxRatio   float64 // uncompressed/compressed, per entry and overall
	MaxTotal   int64   // uncompressed bytes, declared and actually read
}

// DefaultLimits returns the archive limits of the embedded default policy:
// depth 3, 1000 entries, ratio 100, 100 MiB.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 3, MaxEntries: 1000, MaxRatio: 100, MaxTotal: 100 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if !(l.MaxRatio > 0) { // also NaN
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	return l
}

// Result is what Classify found out about one attachment.
type Result struct {
	Class       Class    // strictest of declared, extension, sniffed, archive contents
	SniffedType string   // MIME type from content, e.g. "application/pdf"
	Mismatch    string   // non-empty when declared/extension/content disagree, says how
	Findings    []string // e.g. "zip: encrypted entry secret.docx", "office: macros"
	Executable  bool     // executable or script anywhere (incl. inside archives)
	Encrypted   bool     // encrypted archive entry anywhere (PPAP)
	// Links counts the distinct link targets (URI actions) of the PDFs in
	// the content, the archive's included: a reader opens them with a
	// click, and mugai does not change a file it delivers.
	Links int
	// EncryptedEntries are the display paths of the first
	// MaxEncryptedNames encrypted entries (a PPAP archive's files, which
	// the reader is told of); EncryptedCount counts them all.
	EncryptedEntries []string
	EncryptedCount   int
	// Members are the files in the archive, at every level of nesting
	// (at most Limits.MaxEntries; past that a limit finding says the
	// rest was not read): a policy that keeps an archive keeps what it
	// holds, which it must allow too.
	Members []Member
}

// Member is a file inside an archive.
type Member struct {
	Path string   // display path, "docs.zip/予算.xlsx"
	Exts []string // its extensions under every reading of its name, lower case, no dot
	Type string   // the type its content was read as; "" for an empty file
}

// MaxEncryptedNames bounds Result.EncryptedEntries.
const MaxEncryptedNames = 5
