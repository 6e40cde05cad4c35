package saga

import "testing"

// The decline code reaches FinishOrder in the caught error's cause: Lambda's error JSON on AWS and in
// the local runtime, the bare message where something hands on only the text.
func TestDeclineCodeFromTheCause(t *testing.T) {
	msg := (&PaymentDeclined{Code: "card_declined"}).Error()
	for cause, want := range map[string]string{
		`{"errorType":"PaymentDeclined","errorMessage":"` + msg + `"}`:                 "card_declined",
		`{"errorMessage":"` + msg + `","errorType":"PaymentDeclined","stackTrace":[]}`: "card_declined",
		msg: "card_declined",
		`{"errorType":"PaymentDeclined","errorMessage":"something else"}`: "",
		`not json`: "",
		"":         "",
	} {
		if got := declineCode(cause); got != want {
			t.Errorf("declineCode(%q) = %q; want %q", cause, got, want)
		}
	}
	if out := (CaughtError{Error: "PaymentDeclined", Cause: msg}).outcome(); out.String() != "REJECTED/PAYMENT_DECLINED" || out.DeclineCode != "card_declined" {
		t.Errorf("PaymentDeclined ends %+v", out)
	}
	for name, want := range map[string]string{"PaymentUnavailable": "FAILED/PAYMENT_UNAVAILABLE", "CancellationRequested": "CANCELLED",
		"StepError": "FAILED/STEP_FAILED", "States.Timeout": "FAILED/STEP_FAILED", "Lambda.ServiceException": "FAILED/STEP_FAILED"} {
		if got := (CaughtError{Error: name}).outcome().String(); got != want {
			t.Errorf("%s ends %s; want %s", name, got, want)
		}
	}
}
