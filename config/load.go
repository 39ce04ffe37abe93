package config

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration, with comments.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// EmbeddedName is the File of the embedded default configuration.
const EmbeddedName = "(embedded default)"

// Default returns the embedded default configuration, loaded and
// validated. It cannot fail: a test keeps it valid.
func Default() *Config {
	c, err := Parse(EmbeddedName, defaultYAML)
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error())
	}
	return c
}

// Load reads, decodes, defaults and validates the file at path. On error
// it returns Errors listing every problem as FILE:LINE: key: message.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}}
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; file names them in errors.
func Parse(file string, data []byte) (*Config, error) {
	if line := notUTF8(data); line > 0 {
		return nil, Errors{{File: file, Line: line, Msg: "the file is not UTF-8 (saved as Shift_JIS?): save it as UTF-8"}}
	}
	if line, r := hiddenBreak(data); line > 0 {
		return nil, Errors{{File: file, Line: line, Msg: fmt.Sprintf("a line break YAML reads but editors do not show (U+%04X, as text copied from a web page may hold): delete it, or end the line there", r)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, Errors{{File: file, Msg: te.Error()}}
		}
		line, msg := yamlSyntax(err, data)
		return nil, Errors{{File: file, Line: line, Msg: msg}}
	}
	var errs Errors
	sum := sha256.Sum256(data)
	c := &Config{File: file, SHA256: hex.EncodeToString(sum[:])}
	d := &decoder{file: file, errs: &errs, lines: map[string]int{}}
	if len(root.Content) == 0 {
		errs.add(file, 0, "", "empty configuration")
		return nil, errs
	}
	d.decode(root.Content[0], reflectValue(c), "")
	v := &validator{file: file, errs: &errs, lines: d.lines}
	if file != EmbeddedName {
		v.base = filepath.Dir(file)
	}
	v.config(c)
	c.lines = d.lines
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntax turns "yaml: line 7: did not find expected key" into
// "7: did not find expected key" shape so the file:line form holds.
// A hint follows what the line itself shows: a tab, or a value that
// starts with a character YAML reserves.
func yamlSyntax(err error, data []byte) (line int, msg string) {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	n, _ := strconv.Atoi(m[1])
	msg = "syntax error: " + m[2]
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		return n, msg
	}
	text := lines[n-1]
	switch {
	case strings.Contains(text, "\t"):
		msg += " (the line has a tab: YAML indents with spaces only)"
	case strings.ContainsAny(text, "@`") && strings.Contains(m[2], "cannot start any token"):
		msg += ` (a value starting with @ or ` + "`" + ` must be quoted: "@…")`
	}
	return n, msg
}

// hiddenBreak returns the line of the first NEL, LINE SEPARATOR or
// PARAGRAPH SEPARATOR (U+0085, U+2028, U+2029) in data, and which, or 0.
// YAML 1.1 breaks lines there, as editors do not: the parser's line
// numbers, and maybe the structure it reads, would not be the ones the
// administrator sees. A file with a UTF-16 byte order mark is read as
// the parser reads it.
func hiddenBreak(data []byte) (int, rune) {
	text := data
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		var err error
		if text, _, err = transform.Bytes(unicode.BOMOverride(unicode.UTF8.NewDecoder()), data); err != nil {
			return 0, 0 // the parser says what is wrong
		}
	}
	line := 1
	for i, r := range string(text) {
		switch r {
		case '\n':
			line++
		case '\r':
			if i+1 == len(text) || text[i+1] != '\n' {
				line++
			}
		case 0x85, 0x2028, 0x2029:
			return line, r
		}
	}
	return 0, 0
}

// notUTF8 returns the line of the first byte that is not UTF-8, or 0. A
// file with a UTF-16 byte order mark is left to the YAML parser.
func notUTF8(data []byte) int {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) || utf8.Valid(data) {
		return 0
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return bytes.Count(data[:i], []byte("\n")) + 1
		}
		i += size
	}
	return 0
}
