package states

import "testing"

// FuzzIntegerPictures: $formatInteger and $parseInteger run inside jsonata-go, where a panic would
// take the local runtime down; any number, picture and text must give a value or an error.
func FuzzIntegerPictures(f *testing.F) {
	for _, p := range []string{"0", "#,##0", "#,##,##0", "w", "Ww", "W;o", "i", "A", "0;o", "", ";", "#", "0,0", "①"} {
		f.Add(1234.0, p, "one thousand")
	}
	f.Add(1e21, "w", "MCM")
	f.Add(-9.007199254740993e15, "0", "zz")
	f.Fuzz(func(t *testing.T, v float64, picture, text string) {
		_, _ = formatInteger(v, picture)
		_, _ = parseInteger(text, picture)
	})
}
