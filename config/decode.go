package config

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder turns a YAML node tree into Config fields by reflection, so that
// every unknown key and every wrong type is reported with its line, and
// all of them are reported rather than the first (yaml.v3's KnownFields
// stops at the first error and has no way to name the key path).
type decoder struct {
	file  string
	errs  *Errors
	lines map[string]int // key path → line, for later validation errors
}

// fail reports a value that could not be decoded and marks its path so
// validation does not report it a second time.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs.add(d.file, n.Line, path, format, args...)
	d.lines[path+"!"] = n.Line
}

var (
	sizeType     = reflect.TypeOf(Size(0))
	durationType = reflect.TypeOf(Duration(0))
	prefixType   = reflect.TypeOf(Prefix{})
)

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		if _, ok := d.lines[path]; !ok {
			d.lines[path] = n.Line
		}
	}
	// A YAML null (`key:` with no value) leaves the default in place.
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Type() {
	case sizeType:
		s, err := ParseSize(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "%q is not a size (allowed: bytes, or a number with B, KiB, MiB, GiB, KB, MB, GB)", n.Value)
			return
		}
		v.SetInt(int64(s))
		return
	case durationType:
		t, err := ParseDuration(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "%q is not a duration (allowed: Go syntax such as 90s, 5m, 1h30m, or days such as 5d)", n.Value)
			return
		}
		v.SetInt(int64(t))
		return
	case prefixType:
		p, err := parsePrefix(n.Value)
		if n.Kind == yaml.ScalarNode && err == errHostBits {
			// Refused, not masked: 10.1.0.25/24 may mean the network or
			// the one server, and only the admin knows which.
			d.fail(n, path, "%q is not a network: its address is not the first of the /%d (the network is %s; one address alone is %s)", n.Value, p.Bits(), p.Masked(), p.Addr())
			return
		}
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "%q is not a network (allowed: CIDR such as 192.0.2.0/24, ::1/128, or a single address)", n.Value)
			return
		}
		v.Set(reflect.ValueOf(Prefix{p}))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping of keys, got %s", kindName(n))
			return
		}
		fields := yamlFields(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			if seen[k.Value] {
				d.errs.add(d.file, k.Line, kp, "key given twice")
				continue
			}
			seen[k.Value] = true
			idx, ok := fields[k.Value]
			if !ok && k.Tag == "!!merge" {
				// yaml.v3 leaves a merge to its own decoder, which this
				// one is not: said as what it is, not as a typo.
				d.errs.add(d.file, k.Line, kp, "YAML merge keys (<<) are not supported: write the keys out, or give the whole value as an alias (*anchor)")
				continue
			}
			if !ok {
				d.errs.add(d.file, k.Line, kp, "unknown key (allowed: %s)", strings.Join(fieldNames(v.Type()), ", "))
				continue
			}
			d.lines[kp] = k.Line
			d.decode(val, v.Field(idx), kp)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			// A single scalar where a list is expected is accepted as a
			// one-element list: `domains: city.example.lg.jp`.
			if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() != reflect.Struct {
				s := reflect.MakeSlice(v.Type(), 1, 1)
				d.decode(n, s.Index(0), path+"[0]")
				v.Set(s)
				return
			}
			d.fail(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			d.lines[kp] = k.Line
			if v.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.errs.add(d.file, k.Line, kp, "key given twice")
				continue
			}
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, kp)
			v.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.fail(n, path, "%q is not a boolean (allowed: true, false)", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "%q is not an integer", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "%q is not a number", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// ParseSize reads a byte count: plain bytes, or a number with a binary
// (KiB, MiB, GiB) or decimal (KB, MB, GB) unit.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q", s)
	}
	if n != 0 && (n*mult)/mult != n {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	return Size(n * mult), nil
}

// ParseDuration reads a Go duration, also accepting whole days ("5d",
// "1d12h"), which time.ParseDuration does not.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		days, s = n, s[i+1:]
		if s == "" {
			return Duration(time.Duration(days) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return Duration(time.Duration(days)*24*time.Hour + d), nil
}

// errHostBits is a CIDR whose address has bits set past its length.
var errHostBits = errors.New("host bits set")

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		if p != p.Masked() {
			return p, errHostBits
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (s Size) String() string {
	switch {
	case s != 0 && s%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", s>>30)
	case s != 0 && s%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", s>>20)
	case s != 0 && s%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", s>>10)
	}
	return strconv.FormatInt(int64(s), 10)
}

func (d Duration) String() string {
	t := time.Duration(d)
	if t != 0 && t%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", t/(24*time.Hour))
	}
	// As an admin writes it: 10m, not 10m0s; 1h30m, not 1h30m0s.
	str := t.String()
	if strings.HasSuffix(str, "m0s") {
		str = str[:len(str)-2]
	}
	if strings.HasSuffix(str, "h0m") {
		str = str[:len(str)-2]
	}
	return str
}
