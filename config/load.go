package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, Errors{{File: file, Msg: te.Error()}}
		}
		line, msg := yamlSyntax(err)
		return nil, Errors{{File: file, Line: line, Msg: msg}}
	}
	var errs Errors
	c := &Config{File: file}
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
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntax turns "yaml: line 7: did not find expected key" into
// "7: did not find expected key" shape so the file:line form holds.
func yamlSyntax(err error) (line int, msg string) {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	n, _ := strconv.Atoi(m[1])
	return n, "syntax error: " + m[2]
}
