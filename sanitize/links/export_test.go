package links

// For delivered_test.go (package links_test), which runs the sanitiser.
var (
	LinkifyForTest   = linkify
	NavigableForTest = navigable
)
