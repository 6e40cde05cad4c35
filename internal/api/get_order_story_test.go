package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/story"
	"github.com/orion-oss/orion/internal/web"
)

// teller is a StoryTeller of one known order that counts its calls.
type teller struct {
	known order.ID
	calls int
}

func (f *teller) Tell(_ context.Context, id order.ID) (story.Story, error) {
	f.calls++
	if id != f.known {
		return story.Story{}, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	}
	return story.Story{OrderID: id, Entries: []story.Entry{
		{At: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Source: "order", What: "PENDING"},
		{At: time.Date(2026, 12, 3, 12, 0, 1, 0, time.UTC), Source: "saga", What: "ReserveStock"},
	}}, nil
}

func TestGetOrderStory(t *testing.T) {
	const known = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	for _, c := range []struct {
		name, sub, group, order string
		status                  int
		want                    string // in the body
		told                    bool   // the teller was asked
	}{
		{"admin", "root", "[admin]", known, 200, `{"orderId":"` + known + `","entries":[{"at":"2026-12-03T12:00:00Z","source":"order","what":"PENDING"},{"at":"2026-12-03T12:00:01Z","source":"saga","what":"ReserveStock"}],"truncated":false}`, true},
		{"customer", "ann", "", known, 403, "forbidden", false},
		{"no caller", "", "", known, 401, "", false},
		{"malformed order id", "root", "[admin]", "nope", 400, `"field":"orderId"`, false},
		{"unknown order", "root", "[admin]", "01JDQ7Z3M6X9V0YB2C4D5E6F7H", 404, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &teller{known: known}
			r := request(c.sub, c.group, "", "")
			r.PathParameters = map[string]string{"orderId": c.order}
			resp, _ := web.Lambda(slog.New(slog.DiscardHandler), api.GetOrderStory{Teller: f}.Serve)(context.Background(), r)
			if resp.StatusCode != c.status || !strings.Contains(resp.Body, c.want) || (f.calls > 0) != c.told {
				t.Fatalf("%d %s (told %v); want %d with %s (told %v)", resp.StatusCode, resp.Body, f.calls > 0, c.status, c.want, c.told)
			}
			if resp.Headers["Cache-Control"] != "no-store" {
				t.Fatalf("Cache-Control %q", resp.Headers["Cache-Control"])
			}
			if c.status >= 400 && resp.Headers["Content-Type"] != "application/problem+json" {
				t.Fatalf("a refusal's Content-Type is %q", resp.Headers["Content-Type"])
			}
		})
	}
}
