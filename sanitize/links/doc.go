// Package links neutralises URLs in plain text so that a mail client on the
// LGWAN side does not turn them into clickable links: defang rewrites
// https://evil.example/a as hxxps://evil[.]example/a (still readable, no
// longer a link), remove replaces the URL with a marker, keep leaves it.
// It finds http, https, ftp and file URLs (also with backslashes, one
// slash or none after the colon, and inside other URLs), the URLs that
// Thunderbird reads out of "<...>" and "\"...\"" once it has taken their
// white space out ("<ht tps://evil.example>"), bare www. and ftp. hosts
// (which Thunderbird completes to http://www. and ftp://ftp.), host names
// under an ICANN top-level domain written with neither ("evil.com"), and UNC
// paths (\\fileserver\share, which Outlook makes a link that Windows opens
// over SMB, sending the user's credentials to that host): file:// becomes
// fxle://, \\host becomes [\\]host with its dots bracketed. It stops a URL at
// white space, angle brackets and at non-ASCII text, so Japanese written
// right after a URL stays outside it. It leaves mailto: addresses readable
// and does not touch text that is already defanged. It does not look up,
// follow or judge the URLs it rewrites.
package links
