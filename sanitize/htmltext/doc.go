// Package htmltext turns an HTML mail body into readable plain text for the
// reader on the LGWAN side: paragraphs, line breaks, lists, table rows,
// struck-through text (~~as here~~), link targets and image placeholders
// survive, while scripts, styles, forms, embedded objects and content the
// sender hid from view are dropped. It reads the HTML as a token stream
// with its own bounded element stack, so its memory does not grow with the
// size or nesting depth of the input. Inline style attributes and the
// document's <style> sheets decide what is hidden, as a desktop mail
// client's browser engine would (sheet.go): each sheet applies to the
// whole document, which Convert reads first for its sheets alone (and,
// with a <template>, twice more for what its shadow roots' slots take:
// shadow.go), then converts (ConvertStream reads it once, each sheet
// from where it stands).
// It does not decode charsets (the caller hands it UTF-8), and does not
// neutralise the URLs it prints: that is sanitize/links' job on the
// resulting text.
package htmltext
