package email

import "strings"

// The escapers that render_templates.go calls where html/template's own would run. html/template is
// not linked into the function: executing a template looks fields up with reflect.Value.MethodByName,
// which makes the linker keep every exported method of every reachable type (every SDK client's
// operations), and doubled send-email's binary. These give the same bytes as html/template's
// escapers for plain string values, which TestRenderEscapersMatchHTMLTemplate and
// FuzzRenderEscapersMatchHTMLTemplate check against html/template itself.

// htmlEscapes are html/template's replacements for HTML text, RCDATA (<title>) and quoted attribute
// values. NUL becomes U+FFFD as an HTML parser would read it; '+' is escaped so that no UTF-7 sniffing
// mail client can find "+ADw-" ("<") in a value.
var htmlEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// escapeHTML escapes s for HTML text, an RCDATA element or a quoted attribute value
// (html/template's htmlescaper, rcdataescaper and attrescaper for a string). It works on bytes: every
// byte it replaces is ASCII, which never occurs inside a multi-byte UTF-8 sequence, and other bytes
// (invalid UTF-8 included) pass through as html/template passes them.
func escapeHTML(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) >= len(htmlEscapes) || htmlEscapes[c] == "" {
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString(htmlEscapes[c])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// unsafeURL is what filterURL leaves of a URL with a scheme that is not http, https or mailto:
// html/template's "#ZgotmplZ", a fragment that goes nowhere and is easy to search for.
const unsafeURL = "#ZgotmplZ"

// filterURL defangs a URL that starts an attribute taking a URL (href, src) unless its scheme is
// http, https or mailto, or it is relative (html/template's urlfilter): "javascript:..." never
// becomes a link.
func filterURL(s string) string {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		if !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
			return unsafeURL
		}
	}
	return s
}

// normalizeURL percent-encodes what may not appear in a URL, keeping its reserved characters and
// valid %XX escapes (html/template's urlnormalizer).
func normalizeURL(s string) string { return processURL(s, true) }

// escapeURL percent-encodes s for one query value or path part (html/template's urlescaper).
func escapeURL(s string) string { return processURL(s, false) }

// processURL percent-encodes every byte other than RFC 3986's unreserved characters; when norm is
// true it also keeps the reserved characters and valid escapes. Single quotes and parentheses are
// encoded although RFC 3986 allows them, so the result is safe in any quoted attribute.
func processURL(s string, norm bool) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			continue
		case norm && strings.IndexByte("!#$&*+,/:;=?@[]", c) >= 0:
			continue
		case norm && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
