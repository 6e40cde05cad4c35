package stack

import (
	"fmt"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/engine/wsapi"
)

// The API Gateway v2 resources of a WebSocket API. The local runtime serves the API from them with
// wsapi: routes come from AWS::ApiGatewayV2::Route, their functions from the AWS_PROXY integration each
// route targets, two-way routes from AWS::ApiGatewayV2::RouteResponse, the stage name from
// AWS::ApiGatewayV2::Stage.
const (
	typeAPI           = "AWS::ApiGatewayV2::Api"
	typeStage         = "AWS::ApiGatewayV2::Stage"
	typeRoute         = "AWS::ApiGatewayV2::Route"
	typeIntegration   = "AWS::ApiGatewayV2::Integration"
	typeRouteResponse = "AWS::ApiGatewayV2::RouteResponse"
)

// createAPIGatewayV2 gives an API Gateway v2 resource its local identity: the API id is a lower-case
// form of its logical id (API Gateway ids are 10 lower-case characters; any stable token serves), a
// stage answers Ref with its name, routes and integrations with their logical ids.
func (s *Stack) createAPIGatewayV2(id string, r sam.Resource) error {
	switch r.Type {
	case typeAPI:
		apiID := strings.ToLower(id)
		s.res.set(id, apiID, map[string]any{"ApiId": apiID,
			"ApiEndpoint": fmt.Sprintf("wss://%s.execute-api.%s.amazonaws.com", apiID, s.cfg.Region)})
	case typeStage:
		props, err := s.resolve(r.Properties, "Resources."+id+".Properties")
		if err != nil {
			return err
		}
		name := sam.String(props, "StageName")
		if name == "" {
			return fmt.Errorf("stack: %s: StageName is required", id)
		}
		s.res.set(id, name, map[string]any{})
	default:
		s.res.set(id, id, map[string]any{})
	}
	return nil
}

// isWebSocketAPI reports whether a resource is a WebSocket API (HTTP APIs come from AWS::Serverless::HttpApi).
func isWebSocketAPI(r sam.Resource) bool {
	return r.Type == typeAPI && sam.String(r.Properties, "ProtocolType") == "WEBSOCKET"
}

// hasWebSocketAPI reports whether the template declares a WebSocket API to serve.
func (s *Stack) hasWebSocketAPI() bool {
	for _, id := range s.tpl.ResourceIDs() {
		if isWebSocketAPI(s.tpl.Resources[id]) {
			return true
		}
	}
	return false
}

// webSocketAPI builds the local gateway of the template's WebSocket API (one per template locally).
func (s *Stack) webSocketAPI() error {
	var apis []string
	for _, id := range s.tpl.ResourceIDs() {
		r := s.tpl.Resources[id]
		if r.Type == typeAPI && !isWebSocketAPI(r) {
			return fmt.Errorf("stack: %s: only WEBSOCKET APIs of AWS::ApiGatewayV2::Api run locally (HTTP APIs: AWS::Serverless::HttpApi)", id)
		}
		if _, err := s.res.Ref(id); err == nil && isWebSocketAPI(r) {
			apis = append(apis, id)
		}
	}
	switch len(apis) {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("stack: %d WebSocket APIs; the local runtime serves one", len(apis))
	}
	apiID := apis[0]
	apiRef, _ := s.res.Ref(apiID)
	api, err := s.resolve(s.tpl.Resources[apiID].Properties, "Resources."+apiID+".Properties")
	if err != nil {
		return err
	}
	cfg := wsapi.Config{APIID: fmt.Sprint(apiRef), RouteSelectionExpression: sam.String(api, "RouteSelectionExpression"),
		Logger: s.cfg.Logger, OnRecord: s.logWebSocket, Drop: dropFault(s.cfg.Faults)}

	// Everything of this API, by type, with resolved properties.
	of := map[string]map[string]map[string]any{}
	for _, id := range s.tpl.ResourceIDs() {
		r := s.tpl.Resources[id]
		if !strings.HasPrefix(r.Type, "AWS::ApiGatewayV2::") || r.Type == typeAPI {
			continue
		}
		if _, err := s.res.Ref(id); err != nil {
			continue // condition false
		}
		props, err := s.resolve(r.Properties, "Resources."+id+".Properties")
		if err != nil {
			return err
		}
		if fmt.Sprint(props["ApiId"]) != fmt.Sprint(apiRef) {
			continue
		}
		if of[r.Type] == nil {
			of[r.Type] = map[string]map[string]any{}
		}
		of[r.Type][id] = props
	}
	if len(of[typeStage]) > 1 {
		return fmt.Errorf("stack: %s has %d stages; the local runtime serves one", apiID, len(of[typeStage]))
	}
	for _, p := range of[typeStage] {
		cfg.Stage = sam.String(p, "StageName")
	}
	twoWay := map[string]bool{}
	for _, p := range of[typeRouteResponse] {
		twoWay[sam.String(p, "RouteId")] = true
	}
	for id, p := range of[typeRoute] {
		key := sam.String(p, "RouteKey")
		integration, ok := strings.CutPrefix(sam.String(p, "Target"), "integrations/")
		if !ok {
			return fmt.Errorf("stack: route %s: Target must be integrations/<integration>", id)
		}
		ip, ok := of[typeIntegration][integration]
		if !ok {
			return fmt.Errorf("stack: route %s: integration %s is not an integration of %s", id, integration, apiID)
		}
		if t := sam.String(ip, "IntegrationType"); t != "AWS_PROXY" {
			return fmt.Errorf("stack: integration %s: only AWS_PROXY (Lambda proxy) integrations run locally, not %s", integration, t)
		}
		fn, err := s.integrationFunction(sam.String(ip, "IntegrationUri"))
		if err != nil {
			return fmt.Errorf("stack: integration %s: %w", integration, err)
		}
		cfg.Routes = append(cfg.Routes, wsapi.Route{Key: key, Function: fn, TwoWay: twoWay[id] && key != "$connect" && key != "$disconnect"})
	}
	srv, err := wsapi.New(cfg, invoker{s, "websocket"})
	if err != nil {
		return fmt.Errorf("stack: %s: %w", apiID, err)
	}
	s.ws = srv
	return nil
}

// integrationFunction finds the function of a Lambda integration URI,
// arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations.
func (s *Stack) integrationFunction(uri string) (string, error) {
	_, rest, ok := strings.Cut(uri, ":lambda:path/2015-03-31/functions/")
	arn, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 {
		return "", fmt.Errorf("IntegrationUri %q is not a Lambda function's", uri)
	}
	f := s.byName[lambdaName(arn)]
	if f == nil {
		return "", fmt.Errorf("function %s is not in the template", arn)
	}
	return f.name, nil
}

// WebSocketRoutes lists the WebSocket API's routes, for the banner.
func (s *Stack) WebSocketRoutes() []string {
	if s.ws == nil {
		return nil
	}
	return s.ws.Routes()
}

func (s *Stack) logWebSocket(r wsapi.Record) {
	line := fmt.Sprintf("%s ⇌ %-10s %-17s %-12s %3d %6.1fms", time.Now().Format("15:04:05.000"), r.Kind, r.ConnectionID, r.RouteKey,
		r.Status, float64(r.Duration.Microseconds())/1000)
	if r.Bytes > 0 {
		line += fmt.Sprintf(" %dB", r.Bytes)
	}
	if r.Error != "" {
		line += " " + r.Error
	}
	s.println(line)
}
