package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a configuration file, with where it is.
type Error struct {
	File string
	Line int    // 0 when the problem has no single line
	Key  string // key path, e.g. routes[0].limits.max_recipients
	Msg  string
}

func (e Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Errors is every problem found in one file; Load reports them all.
type Errors []Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (es *Errors) add(file string, line int, key, format string, args ...any) {
	*es = append(*es, Error{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}
