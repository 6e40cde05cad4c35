package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SentEmail is one message the local endpoint accepted through SES.
type SentEmail struct {
	ID, Source, Subject string
	// Body is what the emulator kept: moto keeps the HTML part when there is one, else the text part;
	// LocalStack keeps both (HTML preferred here, as with moto).
	Body string
	To   []string
}

// ErrNoMailbox means the endpoint offers no way to read sent messages back.
var ErrNoMailbox = errors.New("localaws: the endpoint does not show the messages it sent")

// SentEmails reads the messages the emulator at endpoint has accepted: moto's state dump
// (GET /moto-api/data.json, ses.Message) or LocalStack's SES developer endpoint (GET /_aws/ses).
// Neither emulator delivers anything; this is how tests see what would have been mailed.
func SentEmails(ctx context.Context, endpoint string) ([]SentEmail, error) {
	base := strings.TrimRight(endpoint, "/")
	var moto struct {
		SES struct {
			Message []struct {
				ID           string              `json:"id"`
				Source       string              `json:"source"`
				Subject      string              `json:"subject"`
				Body         string              `json:"body"`
				Destinations map[string][]string `json:"destinations"`
			} `json:"Message"`
		} `json:"ses"`
	}
	ok, err := getJSON(ctx, base+"/moto-api/data.json", &moto)
	if err != nil {
		return nil, err
	}
	if ok {
		out := make([]SentEmail, 0, len(moto.SES.Message))
		for _, m := range moto.SES.Message {
			out = append(out, SentEmail{ID: m.ID, Source: m.Source, Subject: m.Subject, Body: m.Body, To: m.Destinations["ToAddresses"]})
		}
		return out, nil
	}
	var ls struct {
		Messages []struct {
			ID          string `json:"Id"`
			Source      string `json:"Source"`
			Subject     string `json:"Subject"`
			Destination struct {
				ToAddresses []string `json:"ToAddresses"`
			} `json:"Destination"`
			Body struct {
				Text string `json:"text_part"`
				HTML string `json:"html_part"`
			} `json:"Body"`
		} `json:"messages"`
	}
	if ok, err = getJSON(ctx, base+"/_aws/ses", &ls); err != nil || !ok {
		return nil, errors.Join(err, ErrNoMailbox)
	}
	out := make([]SentEmail, 0, len(ls.Messages))
	for _, m := range ls.Messages {
		body := m.Body.HTML
		if body == "" {
			body = m.Body.Text
		}
		out = append(out, SentEmail{ID: m.ID, Source: m.Source, Subject: m.Subject, Body: body, To: m.Destination.ToAddresses})
	}
	return out, nil
}

// getJSON decodes a GET answer into v; false means the endpoint has no such resource.
func getJSON(ctx context.Context, url string, v any) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("localaws: %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return false, fmt.Errorf("localaws: %s: %w", url, err)
	}
	return true, nil
}
