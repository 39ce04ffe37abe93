package filetype

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
)

// inspectStream opens the single-member formats (gzip, bzip2) and tar, all
// readable front to back: a .tar.gz is walked while it is decompressed and
// counts as one nesting level. comp is the compressed size for the ratio
// limit; name is the stream's own filename (for the member's name).
func (in *inspector) inspectStream(src io.Reader, comp int64, mt, path, name string, depth int) {
	where := strings.TrimSuffix(path, "/")
	var dec io.Reader
	inner := innerName(name)
	switch mt {
	case "application/x-tar":
		in.inspectTar(src, path, depth)
		return
	case "application/gzip":
		gz, err := gzip.NewReader(src)
		if err != nil {
			in.corrupt = true
			in.find("gzip: corrupt", withWhere(where, errText(err)))
			return
		}
		defer gz.Close()
		if gz.Name != "" {
			inner = gz.Name
		}
		dec = gz
	case "application/x-bzip2":
		dec = bzip2.NewReader(src)
	default:
		return
	}
	br := bufio.NewReaderSize(in.budget(dec, comp, where), sniffShort)
	head, _ := br.Peek(sniffShort)
	if imt, _ := Sniff(head); imt == "application/x-tar" {
		in.inspectTar(br, path, depth)
		return
	}
	in.inspectEntry(entry{name: inner, size: -1}, br, path, depth)
}

// innerName is the member name of "x.tar.gz" and friends: "x.tar".
func innerName(name string) string {
	lower := strings.ToLower(name)
	for _, s := range []struct{ ext, repl string }{
		{".tgz", ".tar"}, {".tbz2", ".tar"}, {".tbz", ".tar"},
		{".gz", ""}, {".gzip", ""}, {".bz2", ""}, {".bz", ""}, {".z", ""},
	} {
		if strings.HasSuffix(lower, s.ext) {
			return name[:len(name)-len(s.ext)] + s.repl
		}
	}
	return ""
}

// inspectTar walks tar headers, sniffing regular files and checking every
// name (links too: extracting "a.exe" as a symlink still shows "a.exe");
// a link is a finding of its own (LinkEntry).
func (in *inspector) inspectTar(src io.Reader, path string, depth int) {
	tr := tar.NewReader(src)
	for {
		if in.entries >= in.lim.MaxEntries {
			in.limit("archive: too many entries", fmt.Sprintf("(more than %d)", in.lim.MaxEntries))
			return
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			if err != errLimit {
				in.corrupt = true
				in.find("tar: corrupt", withWhere(strings.TrimSuffix(path, "/"), errText(err)))
			}
			return
		}
		in.entries++
		name := decodeZipName([]byte(hdr.Name), true)
		switch hdr.Typeflag {
		case tar.TypeSymlink, tar.TypeLink:
			// GNU tar and bsdtar make the link; a later member named
			// through it ("a" -> /etc, then "a/passwd") is written
			// where it points.
			in.find(LinkEntry, path+displayName(name)+" -> "+displayName(hdr.Linkname))
			in.inspectEntry(entry{name: name, size: hdr.Size}, nil, path, depth)
		case tar.TypeDir, 'D':
			// 'D', a GNU incremental dump's folder: its data lists
			// names.
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo, tar.TypeXGlobalHeader, 'V':
			// Devices, FIFOs, PAX global headers and GNU volume
			// labels: no file's bytes.
			in.inspectEntry(entry{name: name, size: hdr.Size}, nil, path, depth)
		default:
			// Regular files, and every type an extractor does not
			// know, which POSIX says to read as a regular file and
			// GNU tar ("Unknown file type, extracted as normal file")
			// and libarchive (bsdtar, Windows' tar) write as one: a
			// typeflag 'Z' kept its bytes from being read.
			in.inspectEntry(entry{name: name, size: hdr.Size}, tr, path, depth)
		}
	}
}
