package stack

import (
	"net/http"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/lambdahost"
)

// Injected faults (Config.Faults, docs/faults.md): each part of the runtime gets only the hooks the
// spec needs, so a stack without faults runs exactly as before.

// functionFault is the Lambda host's hook: crash after the work, or time out during it.
func (s *Stack) functionFault(inj *faults.Injector) func(string, []byte) lambdahost.Fault {
	if !inj.Has(faults.Crash, faults.Timeout) {
		return nil
	}
	return func(function string, payload []byte) lambdahost.Fault {
		if _, hit := inj.Strike(faults.Crash, function, payload); hit {
			return lambdahost.Fault{Kind: lambdahost.CrashAfterWork}
		}
		if r, hit := inj.Strike(faults.Timeout, function, payload); hit {
			return lambdahost.Fault{Kind: lambdahost.TimeoutDuringWork, At: time.Duration(r.Delay)}
		}
		return lambdahost.Fault{}
	}
}

// deliveryFault is the event bus's hook: deliver twice, or hold back (out of order).
func deliveryFault(inj *faults.Injector) func(string, string, eventbus.Event) (bool, time.Duration) {
	if !inj.Has(faults.Duplicate, faults.Delay) {
		return nil
	}
	return func(rule, target string, ev eventbus.Event) (bool, time.Duration) {
		key := []byte(ev.ID + "\x00" + target)
		_, twice := inj.Strike(faults.Duplicate, rule, key)
		r, held := inj.Strike(faults.Delay, rule, key)
		if !held {
			return twice, 0
		}
		return twice, time.Duration(r.Delay)
	}
}

// dropFault is the WebSocket API's hook: lose a client's connection.
func dropFault(inj *faults.Injector) func(string) bool {
	if !inj.Has(faults.Drop) {
		return nil
	}
	return func(connectionID string) bool {
		_, hit := inj.Strike(faults.Drop, "websocket", []byte(connectionID))
		return hit
	}
}

// endpointFaults installs one edge fault per throttle, server-error and ses rule and service: the
// AWS endpoint answers in AWS's error shape, the SDK in the function decides whether to retry.
func (s *Stack) endpointFaults(inj *faults.Injector) {
	for i, r := range inj.Spec().Rules {
		var status int
		var code, msg string
		switch r.Kind {
		case faults.Throttle:
			status, code, msg = http.StatusBadRequest, "ThrottlingException", "Rate of requests exceeds the allowed throughput (injected fault)"
		case faults.ServerError:
			status, code, msg = http.StatusInternalServerError, "InternalServerError", "Internal server error (injected fault)"
		case faults.SES:
			status, code, msg = http.StatusBadRequest, "SendingPausedException", "Sending is paused for this account (injected fault)"
		default:
			continue
		}
		if r.Status != 0 {
			status = r.Status
		}
		if r.Code != "" {
			code = r.Code
		}
		target := r.Target
		if target == "" {
			target = faults.DefaultTarget(r.Kind)
		}
		for service := range strings.SplitSeq(target, ",") {
			service = strings.TrimSpace(service)
			s.edge.Inject(edge.Fault{Service: service, Status: status, Code: code, Message: msg,
				Match: func(_ *http.Request, body []byte) bool {
					_, hit := inj.StrikeRule(i, service, body)
					return hit
				}})
		}
	}
}

// Faults returns the stack's fault injector (nil without Config.Faults): its counts by kind, and Stop
// to end injection before a redrive.
func (s *Stack) Faults() *faults.Injector { return s.cfg.Faults }
