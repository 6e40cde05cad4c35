package localaws

import (
	"net/http"
	"testing"

	"github.com/orion-oss/orion/infra/engine/proxytest"
)

func TestRouterPassesAnAnswerThatStartsBeforeTheRequestEnds(t *testing.T) {
	proxytest.AnswerBeforeTheRequestEnds(t, func(upstream string) http.Handler {
		rt, err := newRouter(upstream, "http://127.0.0.1:1")
		if err != nil {
			t.Fatal(err)
		}
		return rt
	}, http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/sqs/aws4_request"}})
}
