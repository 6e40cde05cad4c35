package states

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	jsonata "github.com/blues/jsonata-go"
)

// $formatInteger and $parseInteger (JSONata 1.6, XPath's fn:format-integer pictures), which
// jsonata-go lacks. They are written here for the pictures an ASL author reaches for, each checked
// against jsonata-js 2.0.6 in TestJSONataAgainstReference: decimal digits with '#' and a grouping
// separator ("0", "000", "#,##0"), words ("w", "W", "Ww"), roman numerals ("i", "I"), letters ("a",
// "A"), and the ordinal modifier ";o". Any other picture (other digit families, "(...)" variants)
// is a States.QueryEvaluationError naming it, not a different string (ADR 0024).

// maxExactInteger is the largest integer a JSON number (a float64) holds exactly.
const maxExactInteger = 1 << 53

// maxRoman bounds the roman numerals written: above it, a number is mostly a run of M's.
const maxRoman = 100000

// pictureOf splits a picture into its primary token and whether it asks for ordinals.
func pictureOf(fn, picture string) (primary string, ordinal bool, err error) {
	primary, modifier, _ := strings.Cut(picture, ";")
	switch modifier {
	case "", "c":
	case "o":
		ordinal = true
	default:
		return "", false, unsupportedPicture(fn, picture)
	}
	return primary, ordinal, nil
}

func unsupportedPicture(fn, picture string) *Failure {
	return errQuery("%s: the picture '%s' is not supported by the local runtime's JSONata (decimal digits with '#' and a separator, w, W, Ww, i, I, a, A, and ';o' are; ADR 0024)", fn, picture)
}

func formatInteger(value float64, picture string) (any, error) {
	primary, ordinal, err := pictureOf("$formatInteger", picture)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(value) || math.Abs(value) > maxExactInteger {
		return nil, errQuery("$formatInteger: %s is beyond the integers the local runtime formats (up to 2^53)", js15(value))
	}
	n := int64(math.Trunc(math.Abs(value))) // jsonata-js drops the fraction: 12.7 is "12"
	sign := ""
	if value <= -1 {
		sign = "-"
	}
	switch primary {
	case "w", "W", "Ww":
		words := numberWords(n, ordinal)
		switch primary {
		case "w":
			words = strings.ToLower(words)
		case "W":
			words = strings.ToUpper(words)
		}
		return sign + words, nil
	case "i", "I":
		if n > maxRoman {
			// jsonata-js writes one M per thousand; a large number would hold the runtime for minutes.
			return nil, errQuery("$formatInteger: %d is beyond the roman numerals the local runtime writes (up to %d)", n, maxRoman)
		}
		r := roman(n)
		if primary == "i" {
			r = strings.ToLower(r)
		}
		return sign + r, nil
	case "a", "A":
		l := letters(n)
		if primary == "a" {
			l = strings.ToLower(l)
		}
		return sign + l, nil
	}
	d, ok := parseDecimalPicture(primary)
	if !ok {
		return nil, unsupportedPicture("$formatInteger", picture)
	}
	s := d.format(strconv.FormatInt(n, 10))
	if ordinal {
		s += ordinalSuffix(n)
	}
	return sign + s, nil
}

func parseInteger(s, picture string) (any, error) {
	primary, ordinal, err := pictureOf("$parseInteger", picture)
	if err != nil {
		return nil, err
	}
	sign := 1.0
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = -1, rest
	}
	var n int64
	switch primary {
	case "w", "W", "Ww":
		n, ok := wordsNumber(s)
		if !ok {
			return nil, errQuery("$parseInteger: '%s' is not a number in words", s)
		}
		return sign * float64(n), nil
	case "i", "I":
		n = romanValue(strings.ToUpper(s))
	case "a", "A":
		n = lettersValue(strings.ToUpper(s))
	default:
		d, ok := parseDecimalPicture(primary)
		if !ok {
			return nil, unsupportedPicture("$parseInteger", picture)
		}
		if ordinal {
			s = strings.TrimRightFunc(s, unicode.IsLetter)
		}
		digits := strings.Map(func(r rune) rune {
			if strings.ContainsRune(d.separators, r) {
				return -1
			}
			return r
		}, s)
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return nil, nil // jsonata-js gives NaN, which Step Functions writes as null
		}
		n = v
	}
	return sign * float64(n), nil
}

// decimalPicture is a decimal digit pattern: at least min digits, and a separator at the given digit
// counts from the right, repeated every interval when they are regular ("#,##0": ',' every 3).
type decimalPicture struct {
	min        int
	separators string
	groups     []struct {
		at  int
		sep rune
	}
	every int
}

func parseDecimalPicture(p string) (decimalPicture, bool) {
	var d decimalPicture
	runes := []rune(p)
	digits, sawOptional := 0, false
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i]
		switch {
		case r >= '0' && r <= '9':
			if sawOptional {
				return d, false // a mandatory digit left of a '#': "0#0"
			}
			digits++
			d.min++
		case r == '#':
			sawOptional = true
			digits++
		case unicode.IsLetter(r) || unicode.IsDigit(r) || i == 0 || i == len(runes)-1:
			return d, false // another digit family or a separator at an edge
		default:
			d.groups = append(d.groups, struct {
				at  int
				sep rune
			}{digits, r})
			if !strings.ContainsRune(d.separators, r) {
				d.separators += string(r)
			}
		}
	}
	if d.min == 0 {
		return d, false // "#" alone: jsonata-js refuses it too
	}
	// Regular grouping: one separator character at multiples of the first position.
	if len(d.groups) > 0 && len(d.separators) == 1 {
		regular := true
		for i, g := range d.groups {
			if g.at != d.groups[0].at*(i+1) {
				regular = false
			}
		}
		if regular {
			d.every = d.groups[0].at
		}
	}
	return d, true
}

func (d decimalPicture) format(digits string) string {
	if len(digits) < d.min {
		digits = strings.Repeat("0", d.min-len(digits)) + digits
	}
	var out []rune
	for i, count := len(digits)-1, 0; i >= 0; i-- {
		if count > 0 {
			if sep, ok := d.separatorAt(count); ok {
				out = append(out, sep)
			}
		}
		out = append(out, rune(digits[i]))
		count++
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func (d decimalPicture) separatorAt(count int) (rune, bool) {
	if d.every > 0 {
		return d.groups[0].sep, count%d.every == 0
	}
	for _, g := range d.groups {
		if g.at == count {
			return g.sep, true
		}
	}
	return 0, false
}

func ordinalSuffix(n int64) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

var (
	smallWords   = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	smallOrdinal = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	tensWords    = []string{"", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"}
	scaleWords   = []string{"", "Thousand", "Million", "Billion", "Trillion"}
)

// numberWords writes n in English words as jsonata-js does: "and" before the last two digits of a
// group, ", " between groups ("One Million, Two Hundred and Thirty-Four Thousand, Five Hundred and
// Sixty-Seven"), Trillion the largest word.
func numberWords(n int64, ordinal bool) string {
	return wordsOf(n, false, ordinal)
}

func wordsOf(n int64, after, ordinal bool) string {
	lead := func(sep string) string {
		if after {
			return sep
		}
		return ""
	}
	switch {
	case n < 20:
		if ordinal {
			return lead(" and ") + smallOrdinal[n]
		}
		return lead(" and ") + smallWords[n]
	case n < 100:
		w := lead(" and ") + tensWords[n/10]
		switch {
		case n%10 > 0:
			w += "-" + wordsOf(n%10, false, ordinal)
		case ordinal:
			w = strings.TrimSuffix(w, "y") + "ieth"
		}
		return w
	case n < 1000:
		w := lead(", ") + smallWords[n/100] + " Hundred"
		switch {
		case n%100 > 0:
			w += wordsOf(n%100, true, ordinal)
		case ordinal:
			w += "th"
		}
		return w
	}
	scale := 0
	for f := n; f >= 1000 && scale < len(scaleWords)-1; f /= 1000 {
		scale++
	}
	factor := int64(math.Pow(1000, float64(scale)))
	w := lead(", ") + wordsOf(n/factor, false, false) + " " + scaleWords[scale]
	switch {
	case n%factor > 0:
		w += wordsOf(n%factor, true, ordinal)
	case ordinal:
		w += "th"
	}
	return w
}

// wordsNumber reads English number words, cardinal or ordinal, in any case.
func wordsNumber(s string) (int64, bool) {
	values := map[string]int64{}
	for i, w := range smallWords {
		values[strings.ToLower(w)] = int64(i)
		values[strings.ToLower(smallOrdinal[i])] = int64(i)
	}
	for i, w := range tensWords[2:] {
		values[strings.ToLower(w)] = int64(i+2) * 10
		values[strings.ToLower(strings.TrimSuffix(w, "y")+"ieth")] = int64(i+2) * 10
	}
	values["hundred"], values["hundredth"] = 100, 100
	for i, w := range scaleWords[1:] {
		v := int64(math.Pow(1000, float64(i+1)))
		values[strings.ToLower(w)], values[strings.ToLower(w)+"th"] = v, v
	}
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == ',' })
	var total, group int64
	seen := false
	for _, f := range fields {
		if f == "and" {
			continue
		}
		v, ok := values[f]
		if !ok {
			return 0, false
		}
		seen = true
		switch {
		case v < 100:
			group += v
		case v == 100:
			group *= 100
		default:
			total += group * v
			group = 0
		}
	}
	return total + group, seen
}

var romanNumerals = []struct {
	value int64
	s     string
}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}

func roman(n int64) string {
	var b strings.Builder
	for _, r := range romanNumerals {
		for ; n >= r.value; n -= r.value {
			b.WriteString(r.s)
		}
	}
	return b.String()
}

func romanValue(s string) int64 {
	var n int64
	for _, r := range romanNumerals {
		for strings.HasPrefix(s, r.s) {
			n += r.value
			s = s[len(r.s):]
		}
	}
	return n
}

// letters is the bijective base-26 numbering of lists: A..Z, AA, AB...
func letters(n int64) string {
	var out []byte
	for ; n > 0; n = (n - 1) / 26 {
		out = append([]byte{byte('A' + (n-1)%26)}, out...)
	}
	return string(out)
}

func lettersValue(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*26 + int64(c-'A'+1)
	}
	return n
}

// integerExts registers the two functions.
var integerExts = map[string]jsonata.Extension{
	"formatInteger": {Func: formatInteger, UndefinedHandler: firstArgUndefined},
	"parseInteger":  {Func: parseInteger, UndefinedHandler: firstArgUndefined},
}
