package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: whatever an admin's file holds, Parse answers with a
// configuration or with errors that name the file and a line inside it,
// never a panic. Seeds: every file under testdata and the embedded
// default.
func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "/etc/mugai/fuzz.yaml"
		c, err := Parse(file, data)
		if err == nil {
			if c == nil || c.File != file || len(c.Routes) == 0 || len(c.Policies) == 0 {
				t.Fatalf("accepted without routes or policies: %+v", c)
			}
			for _, r := range c.Routes {
				_, known := c.Policies[r.Policy]
				if len(r.Clients) == 0 || len(r.Domains) == 0 || !known && r.Policy != PolicyNone {
					t.Fatalf("route %q accepted open: clients %v, domains %v, policy %q", r.Name, r.Clients, r.Domains, r.Policy)
				}
			}
			return
		}
		if c != nil {
			t.Fatal("a configuration and an error")
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %T %v is not Errors", err, err)
		}
		// YAML breaks lines at CR, LF and CRLF, as editors do.
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		for _, e := range errs {
			if e.File != file || e.Line < 0 || e.Line > lines+1 || strings.TrimSpace(e.Msg) == "" {
				t.Fatalf("error %+v: file %q, line outside 0..%d or no message", e, file, lines+1)
			}
			if !strings.HasPrefix(e.Error(), file) {
				t.Fatalf("%q does not start with the file", e.Error())
			}
		}
	})
}
