package email

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	htmltemplate "html/template"
	texttemplate "text/template"
)

// The compiled templates (render_templates.go) must write what text/template and html/template write
// from the same templates: these tests run both on the same views. The template packages are linked
// into this test binary only, never into the function.

// compiled are the generated functions of each template, by its name without extensions, with a view
// of the type they take.
var compiled = map[string]struct {
	view       func() any
	text, html func(view any) string
}{
	"order": {func() any { return new(orderView) },
		func(v any) string { return orderText(v.(*orderView)) }, func(v any) string { return orderHTML(v.(*orderView)) }},
	"inventory-low": {func() any { return new(stockView) },
		func(v any) string { return inventoryLowText(v.(*stockView)) }, func(v any) string { return inventoryLowHTML(v.(*stockView)) }},
	"fulfilment": {func() any { return new(fulfilmentView) },
		func(v any) string { return fulfilmentText(v.(*fulfilmentView)) }, func(v any) string { return fulfilmentHTML(v.(*fulfilmentView)) }},
	"account-exists": {func() any { return new(accountView) },
		func(v any) string { return accountExistsText(v.(*accountView)) }, func(v any) string { return accountExistsHTML(v.(*accountView)) }},
}

// hostile are values meant to break out of where they land: markup, attribute quotes, script URLs,
// entities, UTF-7, bytes an HTML parser or Go's UTF-8 decoding treats specially, template syntax.
var hostile = []string{
	"",
	"Widget",
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(1)`,
	` JaVaScRiPt:alert(1)`,
	`data:text/html,<script>alert(1)</script>`,
	`vbscript:msgbox(1)`,
	`mailto:ann@example.org?subject=<b>`,
	`https://shop.example.com/orders/a b?c=d&e='f'#g`,
	`/orders/../admin?x=1`,
	`%41%zz%2`,
	`+ADw-script+AD4-alert(1)+ADw-/script+AD4-`,
	`Tom & Jerry's "mug" &amp; &#60;`,
	"nul\x00byte",
	"bad\xff\xfeutf8\xc3",
	"\ufdd0\uffff\ufeff\u2028\u202e",
	"line\nbreak\r\ntab\t",
	"{{.Subject}} ` $",
	"Crème brûlée ☕ 東京",
}

func parseTemplates(t testing.TB) (*texttemplate.Template, *htmltemplate.Template) {
	t.Helper()
	text, err := texttemplate.New("text").Option("missingkey=error").ParseGlob("templates/*.txt.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	html, err := htmltemplate.New("html").Option("missingkey=error").ParseGlob("templates/*.html.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	return text, html
}

// fill sets every string of the view to s, and gives every slice two elements so filled.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		fill(v.Elem(), s)
	case reflect.String:
		v.SetString(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), s)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			fill(v.Index(i), s)
		}
	}
}

// compareWithTemplates renders views whose every value is s with the compiled code and with the
// template packages.
func compareWithTemplates(t *testing.T, text *texttemplate.Template, html *htmltemplate.Template, s string) {
	t.Helper()
	for name, c := range compiled {
		v := c.view()
		fill(reflect.ValueOf(v), s)
		var want bytes.Buffer
		if err := text.ExecuteTemplate(&want, name+".txt.tmpl", v); err != nil {
			t.Fatal(err)
		}
		if got := c.text(v); got != want.String() {
			t.Errorf("%s.txt.tmpl with %q: compiled code writes\n%s\ntext/template writes\n%s", name, s, got, want.String())
		}
		want.Reset()
		if err := html.ExecuteTemplate(&want, name+".html.tmpl", v); err != nil {
			t.Fatal(err)
		}
		if got := c.html(v); got != want.String() {
			t.Errorf("%s.html.tmpl with %q: compiled code writes\n%s\nhtml/template writes\n%s", name, s, got, want.String())
		}
	}
}

func TestRenderCompiledMatchesTemplates(t *testing.T) {
	files, err := filepath.Glob("templates/*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name, _, _ := strings.Cut(filepath.Base(f), ".")
		if _, ok := compiled[name]; !ok {
			t.Errorf("%s has no entry in compiled (render_templates_test.go): add its generated functions", f)
		}
	}
	text, html := parseTemplates(t)
	for _, s := range hostile {
		compareWithTemplates(t, text, html, s)
	}
}

func FuzzRenderCompiledMatchesTemplates(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	text, html := parseTemplates(f)
	f.Fuzz(func(t *testing.T, s string) { compareWithTemplates(t, text, html, s) })
}

// TestRenderHostileValuesAddNoMarkup: whatever the values, the HTML has the template's tags and
// attributes and no others, and a script URL never becomes a link.
func TestRenderHostileValuesAddNoMarkup(t *testing.T) {
	// The tags with their attributes' values left out (a value may be data, as href is).
	tags := func(html string) []string {
		tag, value := regexp.MustCompile(`<[^>]*>`), regexp.MustCompile(`"[^"]*"`)
		var out []string
		for _, t := range tag.FindAllString(html, -1) {
			out = append(out, value.ReplaceAllString(t, `""`))
		}
		return out
	}
	for name, c := range compiled {
		benign := c.view()
		fill(reflect.ValueOf(benign), "Widget")
		want := tags(c.html(benign))
		for _, s := range hostile {
			v := c.view()
			fill(reflect.ValueOf(v), s)
			html := c.html(v)
			if got := tags(html); !slices.Equal(got, want) {
				t.Errorf("%s with %q: tags\n%q\nwant the template's\n%q", name, s, got, want)
			}
			if strings.Contains(strings.ToLower(html), `href="javascript:`) || strings.Contains(strings.ToLower(html), `href=" javascript:`) {
				t.Errorf("%s with %q: a script link:\n%s", name, s, html)
			}
		}
	}
}

// escaperProbes are the places a template may put a value, the escapers html/template runs there,
// and the Go functions the generator calls for them (render_generate.go's escapers).
var escaperProbes = []struct {
	template string
	chain    []string
	escape   func(string) string
}{
	{`<p>{{.}}</p>`, []string{"_html_template_htmlescaper"}, escapeHTML},
	{`<title>{{.}}</title>`, []string{"_html_template_rcdataescaper"}, escapeHTML},
	{`<td title="{{.}}">`, []string{"_html_template_attrescaper"}, escapeHTML},
	{`<td title='{{.}}'>`, []string{"_html_template_attrescaper"}, escapeHTML},
	{`<a href="{{.}}">`, []string{"_html_template_urlfilter", "_html_template_urlnormalizer", "_html_template_attrescaper"},
		func(s string) string { return escapeHTML(normalizeURL(filterURL(s))) }},
	{`<img src='{{.}}'>`, []string{"_html_template_urlfilter", "_html_template_urlnormalizer", "_html_template_attrescaper"},
		func(s string) string { return escapeHTML(normalizeURL(filterURL(s))) }},
	{`<a href="https://shop.example.com/orders/{{.}}">`, []string{"_html_template_urlnormalizer", "_html_template_attrescaper"},
		func(s string) string { return escapeHTML(normalizeURL(s)) }},
	{`<a href="https://shop.example.com/orders?id={{.}}">`, []string{"_html_template_urlescaper", "_html_template_attrescaper"},
		func(s string) string { return escapeHTML(escapeURL(s)) }},
}

// chain is the escapers html/template put after the value of a one-action template.
func chain(t testing.TB, tmpl *htmltemplate.Template) []string {
	t.Helper()
	for _, n := range tmpl.Tree.Root.Nodes {
		if a, ok := n.(*parse.ActionNode); ok {
			var names []string
			for _, c := range a.Pipe.Cmds[1:] {
				names = append(names, c.String())
			}
			return names
		}
	}
	t.Fatalf("%s has no action", tmpl.Tree.Root)
	return nil
}

func compareEscapers(t *testing.T, probes []*htmltemplate.Template, s string) {
	t.Helper()
	for i, p := range escaperProbes {
		var want bytes.Buffer
		if err := probes[i].Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		if got := strings.Replace(p.template, "{{.}}", p.escape(s), 1); got != want.String() {
			t.Errorf("%s with %q: %s; html/template writes %s", p.template, s, got, want.String())
		}
	}
}

func escaperTemplates(t testing.TB) []*htmltemplate.Template {
	t.Helper()
	var out []*htmltemplate.Template
	for _, p := range escaperProbes {
		tmpl := htmltemplate.Must(htmltemplate.New("probe").Parse(p.template))
		if err := tmpl.Execute(&bytes.Buffer{}, ""); err != nil {
			t.Fatal(err)
		}
		if got := chain(t, tmpl); !slices.Equal(got, p.chain) {
			t.Fatalf("html/template escapes %s with %q; the probe expects %q", p.template, got, p.chain)
		}
		out = append(out, tmpl)
	}
	return out
}

func TestRenderEscapersMatchHTMLTemplate(t *testing.T) {
	probes := escaperTemplates(t)
	for _, s := range hostile {
		compareEscapers(t, probes, s)
	}
}

func FuzzRenderEscapersMatchHTMLTemplate(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	probes := escaperTemplates(f)
	f.Fuzz(func(t *testing.T, s string) { compareEscapers(t, probes, s) })
}

// generator builds render_generate.go once for the tests that run it.
func generator(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build render_generate.go with")
	}
	bin := filepath.Join(t.TempDir(), "render_generate")
	if out, err := exec.Command(goTool, "build", "-o", bin, "render_generate.go").CombinedOutput(); err != nil {
		t.Fatalf("build render_generate.go: %v\n%s", err, out)
	}
	return bin
}

// TestRenderTemplatesUpToDate: render_templates.go is what go generate makes of the templates now.
func TestRenderTemplatesUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "render_templates.go")
	if msg, err := exec.Command(generator(t), "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("render_generate: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("render_templates.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("render_templates.go is older than the templates: run go generate ./internal/email")
	}
}

// TestRenderGenerateRefuses: the generator stops, and writes nothing, on a template that puts a value
// where it has no escaper for, or that uses more of the template language than it compiles.
func TestRenderGenerateRefuses(t *testing.T) {
	gen := generator(t)
	tests := []struct{ name, file, template, says string }{
		{"script", "order.html.tmpl", `<script>var id = {{.OrderID}};</script>`, "_html_template_jsvalescaper"},
		{"script string", "order.html.tmpl", `<script>var id = "{{.OrderID}}";</script>`, "_html_template_jsstrescaper"},
		{"event handler", "order.html.tmpl", `<a onclick="go('{{.OrderID}}')">x</a>`, "_html_template_jsstrescaper"},
		{"style attribute", "order.html.tmpl", `<p style="color: {{.Headline}}">x</p>`, "_html_template_cssvaluefilter"},
		{"unquoted attribute", "order.html.tmpl", `<td title={{.Headline}}>x</td>`, "_html_template_nospaceescaper"},
		{"comment", "order.html.tmpl", `<p><!-- {{.Headline}} --></p>`, "_html_template_commentescaper"},
		{"ambiguous", "order.html.tmpl", `<a href="{{.Link}}{{range .Lines}}?{{end}}{{.Total}}">x</a>`, "ambiguous"},
		{"function", "order.txt.tmpl", `{{printf "%s" .Headline}}`, "take text"},
		{"if", "order.txt.tmpl", `{{if .Total}}{{.Total}}{{end}}`, "take text"},
		{"no view", "invoice.txt.tmpl", `{{.Total}}`, "needs a view"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.template), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "render_templates.go")
			msg, err := exec.Command(gen, "-dir", dir, "-o", out).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("render_generate on %s: err %v; want a failure\n%s", tt.template, err, msg)
			}
			if !strings.Contains(string(msg), tt.says) {
				t.Errorf("render_generate says %q; want it to mention %q", msg, tt.says)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("render_generate wrote %s despite the failure", out)
			}
		})
	}
}
