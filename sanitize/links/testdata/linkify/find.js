// Reads a JSON array of lines on stdin and writes, for each, the links
// three linkifiers find in it: [[{lib, href, text}, ...], ...].
'use strict';
const LinkifyIt = require('linkify-it');
const linkifyjs = require('linkifyjs');
const Autolinker = require('autolinker');

// Fuzzy links (names with no scheme), addresses and IPv4 hosts: every
// kind of link these libraries can make out of plain text.
const it = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: true });
const auto = { urls: { schemeMatches: true, tldMatches: true, ipV4Matches: true }, email: true, phone: false, mention: false, hashtag: false };

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const out = JSON.parse(input).map((line) => {
    const found = [];
    for (const m of it.match(line) || []) found.push({ lib: 'linkify-it', href: m.url, text: m.raw });
    for (const m of linkifyjs.find(line)) found.push({ lib: 'linkifyjs', href: m.href, text: m.value });
    for (const m of Autolinker.parse(line, auto)) found.push({ lib: 'autolinker', href: m.getAnchorHref(), text: m.getMatchedText() });
    return found;
  });
  process.stdout.write(JSON.stringify(out));
});
