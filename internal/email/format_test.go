package email_test

import (
	"math"
	"testing"

	"github.com/orion-oss/orion/internal/email"
)

func TestRenderFormatMoney(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{1250, "USD", "$12.50"},
		{1250, "EUR", "€12.50"},
		{1250, "JPY", "¥1,250"},
		{0, "USD", "$0.00"},
		{5, "USD", "$0.05"},
		{99, "GBP", "£0.99"},
		{123450, "USD", "$1,234.50"},
		{100000000, "USD", "$1,000,000.00"},
		{1234567, "JPY", "¥1,234,567"},
		{999, "JPY", "¥999"},
		{1000, "KRW", "₩1,000"},
		{12500, "KWD", "KWD 12.500"},
		{7, "KWD", "KWD 0.007"},
		{3990, "CHF", "CHF 39.90"},
		{1999, "CAD", "CA$19.99"},
		{-1250, "USD", "-$12.50"},
		{math.MaxInt64, "USD", "$92,233,720,368,547,758.07"},
		{math.MinInt64, "JPY", "-¥9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := email.FormatMoney(mustMoney(t, tt.amount, tt.currency)); got != tt.want {
				t.Fatalf("FormatMoney(%d %s) = %q; want %q", tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}
