// Package filetype decides what an attachment really is: it sniffs content by
// magic numbers, reads the declared MIME type and the decoded filename, opens
// ZIP (and gzip, bzip2 and tar) archives within Limits to find encrypted
// entries (PPAP), nested archives and executables, looks inside OLE2 and
// OOXML documents for macros and inside PDFs for active content, and returns
// the strictest Class with its findings. It does not decide what happens to
// the attachment (keep, strip, reject is the sanitiser's policy), never
// decrypts, never writes to disk, and does not decompress RAR (it reads
// RAR headers for member names and encryption only), 7z, xz, cab or disk
// images: those are reported as archives that were not inspected.
package filetype
