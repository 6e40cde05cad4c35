package stack

import (
	"reflect"
	"testing"

	"github.com/orion-oss/orion/infra/engine/httpapi"
)

// The HTTP API's DefaultRouteSettings and RouteSettings reach the gateway: a route's settings replace
// the default, and a limit a route setting leaves out is the default's.
func TestThrottlesFromTheStage(t *testing.T) {
	props := map[string]any{
		"DefaultRouteSettings": map[string]any{"ThrottlingBurstLimit": int64(200), "ThrottlingRateLimit": int64(100)},
		"RouteSettings": map[string]any{
			"POST /auth/login": map[string]any{"ThrottlingBurstLimit": int64(10), "ThrottlingRateLimit": 5.5},
			"POST /orders":     map[string]any{"DetailedMetricsEnabled": true, "ThrottlingBurstLimit": "50"},
			"GET /orders":      map[string]any{"DetailedMetricsEnabled": true},
		},
	}
	var cfg httpapi.Config
	if err := throttles(&cfg, props); err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultThrottle == nil || *cfg.DefaultThrottle != (httpapi.Throttle{Burst: 200, Rate: 100}) {
		t.Errorf("default = %+v", cfg.DefaultThrottle)
	}
	want := map[string]httpapi.Throttle{"POST /auth/login": {Burst: 10, Rate: 5.5}, "POST /orders": {Burst: 50, Rate: 100},
		"GET /orders": {Burst: 200, Rate: 100}}
	if !reflect.DeepEqual(cfg.RouteThrottles, want) {
		t.Errorf("routes = %+v; want %+v", cfg.RouteThrottles, want)
	}

	cfg = httpapi.Config{}
	if err := throttles(&cfg, map[string]any{"RouteSettings": map[string]any{"POST /a": map[string]any{"ThrottlingBurstLimit": 1}}}); err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultThrottle != nil || cfg.RouteThrottles != nil {
		t.Errorf("half a limit without a default throttles: %+v %+v", cfg.DefaultThrottle, cfg.RouteThrottles)
	}
	if err := throttles(&cfg, map[string]any{"DefaultRouteSettings": map[string]any{"ThrottlingBurstLimit": "many", "ThrottlingRateLimit": 1}}); err == nil {
		t.Error("a burst that is no number was accepted")
	}
}
