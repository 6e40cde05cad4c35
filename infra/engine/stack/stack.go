// Package stack runs a whole SAM template locally: it provisions the data resources in the AWS
// emulator, runs every function's real binary under the Lambda host, serves the HTTP API and the
// WebSocket API, routes EventBridge events to rule targets, and feeds DynamoDB streams to pipes and
// event source mappings.
// Nothing is declared twice: every wire comes from template.yaml.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/orion-oss/orion/infra/engine/awsconfig"
	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/httpapi"
	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/provision"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/infra/engine/wsapi"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// Config configures a local stack.
type Config struct {
	Template   string
	Parameters map[string]string
	// Endpoint is the AWS emulator (moto or LocalStack).
	Endpoint string
	// HTTPAddr serves the HTTP API; EdgeAddr is the AWS endpoint the functions use. Port 0 picks one.
	HTTPAddr, EdgeAddr string
	// WSAddr serves the template's WebSocket API, if it has one. Port 0 (or "") picks one.
	WSAddr string
	// BinDir holds host builds: <BinDir>/<function folder>/bootstrap.
	BinDir    string
	StackName string
	AccountID string
	Region    string
	Logger    *slog.Logger
	// Output receives the functions' output and one line per invocation and delivery.
	Output io.Writer
	// RetryBase shortens EventBridge, Lambda async and stream retry delays (tests).
	RetryBase time.Duration
	// AsyncRetryBase, when set, is Lambda's delay before the first asynchronous retry instead of
	// RetryBase. Lambda waits about a minute, and functions may rely on it: the email function's inbox
	// lease (45 s) must run out before the retry of a crashed attempt comes (internal/adapter/dynamo/inbox.go).
	AsyncRetryBase time.Duration
	// OnEvent observes every event accepted on a bus, before it is routed.
	OnEvent func(bus string, ev eventbus.Event)
	// OnInvoke observes every finished function invocation (durations, billed time, cold starts).
	OnInvoke func(lambdahost.Record)
	// OnTransition observes every state entered and exited by a state machine execution (by name).
	OnTransition func(execution string, t states.Transition)
	// OnDelivery observes every finished event delivery to a rule target.
	OnDelivery func(eventbus.Delivery)
	// ScheduleClock drives scheduled rules instead of the wall clock (tests: eventbus.ManualClock fires
	// a schedule without waiting for it).
	ScheduleClock eventbus.Clock
	// Faults, when set, injects the faults it describes (ORION_FAULTS, docs/faults.md).
	Faults *faults.Injector
	// XRayDaemon, when set (host:port of a UDP listener), is every function's AWS_XRAY_DAEMON_ADDRESS,
	// as Lambda sets it under active tracing, and receives each invocation's function segment: the
	// functions' SDK calls are then X-Ray subsegments (docs/operations.md, "Tracing").
	XRayDaemon string
}

// Stack is a running local system.
type Stack struct {
	cfg     Config
	tpl     *sam.Template
	env     sam.Env
	res     *resources
	aws     aws.Config // straight to the emulator
	edgeCfg aws.Config

	host    *lambdahost.Host
	sfn     *states.Service
	bus     *eventbus.Bus
	edge    *edge.Edge
	gateway *httpapi.Gateway
	ws      *wsapi.Server

	functions map[string]*function // by logical id
	byName    map[string]*function
	servers   []*http.Server
	cancel    context.CancelFunc
	waits     []func()

	// HTTPURL and EdgeURL are where the HTTP API and the AWS endpoint listen.
	HTTPURL, EdgeURL string
	// WSURL is where the WebSocket API listens (ws://host:port), empty without one.
	WSURL string
	// Outputs are the template's resolved Outputs.
	Outputs map[string]any

	logMu sync.Mutex

	callMu sync.Mutex
	calls  map[string]map[string]int // function name -> "service:operation" -> count

	accessLog accessLogLines // the HTTP API's access log (AccessLog)
}

type function struct {
	logicalID, name, arn string
	qualifiers           []string // published versions and aliases (AutoPublishAlias)
	props                map[string]any
	events               []sam.Event
	rules                map[string]generatedRule // by event name
	async                lambdahost.AsyncOptions
	logging              lambdahost.Logging
}

// runtimeTypes are run by the stack itself; inertTypes have no local behaviour (IAM, logs, alarms) and
// are accepted so the same template deploys to AWS unchanged.
var runtimeTypes = map[string]bool{
	"AWS::Serverless::Function": true, "AWS::Serverless::HttpApi": true, "AWS::Pipes::Pipe": true,
	"AWS::Serverless::StateMachine": true, "AWS::Lambda::EventSourceMapping": true,
	"AWS::ApiGatewayV2::Api": true, "AWS::ApiGatewayV2::Stage": true, "AWS::ApiGatewayV2::Route": true,
	"AWS::ApiGatewayV2::Integration": true, "AWS::ApiGatewayV2::RouteResponse": true,
}

var inertTypes = map[string]bool{
	"AWS::IAM::Role": true, "AWS::IAM::Policy": true, "AWS::IAM::ManagedPolicy": true, "AWS::Logs::LogGroup": true,
	"AWS::Lambda::Permission": true, "AWS::CloudWatch::Alarm": true, "AWS::CloudWatch::Dashboard": true,
	"AWS::CloudWatch::CompositeAlarm": true, "AWS::Lambda::EventInvokeConfig": true, "AWS::SQS::QueuePolicy": true,
	"AWS::SNS::TopicPolicy": true, "AWS::Logs::MetricFilter": true,
	// AutoDeploy stands for deployments locally; integration responses have no effect on proxy integrations.
	"AWS::ApiGatewayV2::Deployment": true, "AWS::ApiGatewayV2::IntegrationResponse": true,
}

// Supported reports whether the local runtime can run a resource type.
func Supported(typ string) bool {
	return runtimeTypes[typ] || inertTypes[typ] || provision.Handles(typ)
}

// Start brings the stack up. On error everything started so far is stopped.
func Start(ctx context.Context, cfg Config) (st *Stack, err error) {
	if cfg.StackName == "" {
		cfg.StackName = "orion-local"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012" // the account moto and LocalStack use
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	tpl, err := sam.Load(cfg.Template)
	if err != nil {
		return nil, err
	}
	params, err := tpl.ParameterValues(cfg.Parameters)
	if err != nil {
		return nil, err
	}
	env := sam.Env{Region: cfg.Region, AccountID: cfg.AccountID, StackName: cfg.StackName, Partition: "aws",
		URLSuffix: "amazonaws.com", Parameters: params}
	if err := tpl.ValidateFor(env, Supported); err != nil {
		return nil, err
	}
	// As CloudFormation, refuse parameters the template's Rules refuse before creating anything.
	if err := tpl.CheckRules(env); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{cfg: cfg, tpl: tpl, res: newResources(), functions: map[string]*function{}, byName: map[string]*function{}, cancel: cancel}
	defer func() {
		if err != nil {
			s.Close(context.Background())
		}
	}()
	env.Resources = s.res
	s.env = env

	// Listen first, so a port in use fails fast and the functions' endpoint URL is known.
	httpLn, err := listen(cfg.HTTPAddr, "HTTP API")
	if err != nil {
		return nil, err
	}
	edgeLn, err := listen(cfg.EdgeAddr, "AWS endpoint")
	if err != nil {
		httpLn.Close()
		return nil, err
	}
	s.HTTPURL, s.EdgeURL = "http://"+httpLn.Addr().String(), "http://"+edgeLn.Addr().String()
	var wsLn net.Listener
	if s.hasWebSocketAPI() {
		if wsLn, err = listen(cfg.WSAddr, "WebSocket API"); err != nil {
			httpLn.Close()
			edgeLn.Close()
			return nil, err
		}
		s.WSURL = "ws://" + wsLn.Addr().String()
	}

	s.aws, err = awsconfig.Load(ctx, config.WithRegion(cfg.Region), config.WithBaseEndpoint(cfg.Endpoint), dummyCredentials())
	if err != nil {
		return nil, err
	}

	// Lambda scales a function to hundreds of instances at once; locally an instance is a process, so
	// each function gets up to 50 and a burst beyond that queues briefly instead of being throttled.
	asyncBase := cfg.AsyncRetryBase
	if asyncBase <= 0 {
		asyncBase = cfg.RetryBase
	}
	baseEnv := []string{"AWS_ENDPOINT_URL=" + s.EdgeURL, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
	var daemon *xray.Daemon
	if cfg.XRayDaemon != "" {
		baseEnv = append(baseEnv, xray.EnvDaemonAddress+"="+cfg.XRayDaemon)
		daemon = xray.NewDaemon(cfg.XRayDaemon)
	}
	s.host = lambdahost.New(lambdahost.Options{Logger: cfg.Logger, Output: cfg.Output, Region: cfg.Region, AsyncRetryBase: asyncBase,
		DefaultConcurrency: 50, ThrottleWait: 10 * time.Second, BaseEnv: baseEnv, TraceDaemon: daemon,
		OnInvoke: s.logInvocation, Fault: s.functionFault(cfg.Faults)})
	s.bus = eventbus.New(s, s, eventbus.Options{Logger: cfg.Logger, RetryBase: cfg.RetryBase, OnDelivery: s.logDelivery,
		Perturb: deliveryFault(cfg.Faults), Clock: cfg.ScheduleClock})
	if s.edge, err = edge.New(cfg.Endpoint, cfg.Logger); err != nil {
		return nil, err
	}
	s.endpointFaults(cfg.Faults)
	s.edge.OnPutEvents = s.publish
	s.edge.OnCall = s.recordCall
	s.edge.Handle(edge.Route{Name: "lambda", Match: edge.PathPrefix("/2015-03-31/functions/"), Handler: s.host.InvokeAPI()})
	s.sfn = states.NewService(tasks{s})
	s.sfn.OnTransition = s.logTransition
	s.sfn.OnStatusChange = s.executionStatusChanged
	s.edge.Handle(edge.Route{Name: "states", Match: edge.TargetPrefix("AWSStepFunctions."), Handler: s.sfn})

	if err := s.create(ctx); err != nil {
		return nil, err
	}
	if err := s.wire(runCtx); err != nil {
		if wsLn != nil {
			wsLn.Close()
		}
		return nil, err
	}
	if s.ws != nil {
		// The Management API (@connections) is served where the functions' SDK sends it: the edge.
		s.edge.Handle(edge.Route{Name: "apigateway-management", Match: edge.ConnectionsPath, Handler: s.ws.Management()})
		s.serve(wsLn, s.ws)
	} else if wsLn != nil {
		wsLn.Close()
	}
	s.serve(edgeLn, s.edge)
	var api http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	})
	if s.gateway != nil {
		api = s.gateway
	}
	s.serve(httpLn, api)
	if s.Outputs, err = s.resolveOutputs(); err != nil {
		return nil, err
	}
	return s, nil
}

// busClient puts events through the edge, so that they are routed to rule targets as well as stored.
// The endpoint is set as a client option: an endpoint on a copy of the configuration would lose to
// the one the configuration was loaded with (the SDK re-resolves service endpoints from its sources).
func (s *Stack) busClient() *eventbridge.Client {
	return eventbridge.NewFromConfig(s.aws, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(s.EdgeURL) })
}

func dummyCredentials() func(*config.LoadOptions) error {
	return config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "orion-local"}, nil
	}))
}

func listen(addr, what string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("stack: %s on %s: %w (is another `make dev` running? set the port variable to move it)", what, addr, err)
	}
	return ln, nil
}

func (s *Stack) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go srv.Serve(ln)
}

// create walks the resources in dependency order: emulator resources are created, runtime resources get
// their local identity (name, ARN) so that anything referencing them resolves.
func (s *Stack) create(ctx context.Context) error {
	order, err := s.tpl.Order()
	if err != nil {
		return err
	}
	p := provision.New(s.aws, s.cfg.AccountID)
	for _, id := range order {
		r := s.tpl.Resources[id]
		if r.Condition != "" {
			ok, err := s.tpl.Condition(r.Condition, s.env)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		path := "Resources." + id + ".Properties"
		switch {
		case r.Type == "AWS::Serverless::Function":
			name, err := s.nameOf(r, "FunctionName", path)
			if err != nil {
				return err
			}
			arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.cfg.Region, s.cfg.AccountID, name)
			s.res.set(id, name, map[string]any{"Arn": arn})
			s.res.set(id+"Role", id+"Role", map[string]any{"Arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", s.cfg.AccountID, id+"Role")})
			f := &function{logicalID: id, name: name, arn: arn}
			// AutoPublishAlias: SAM publishes a version of each deployment and points the alias at it;
			// Ref X.Version is the version's ARN, Ref X.Alias the alias's. A local stack is one
			// deployment, so version 1.
			if a, ok := s.tpl.WithGlobals("Function", r.Properties)["AutoPublishAlias"]; ok {
				out, err := s.tpl.Resolve(a, s.env, path+".AutoPublishAlias")
				alias, _ := out.(string)
				if err != nil || alias == "" {
					return fmt.Errorf("stack: %s.AutoPublishAlias must resolve to a name (%v)", path, err)
				}
				s.res.set(id+".Version", arn+":1", map[string]any{"Version": "1"})
				s.res.set(id+".Alias", arn+":"+alias, map[string]any{"Name": alias})
				f.qualifiers = []string{"1", alias}
			}
			if err := s.generatedRules(id, f); err != nil {
				return err
			}
			s.functions[id] = f
			s.byName[name] = f
		case r.Type == "AWS::Serverless::StateMachine":
			name, err := s.nameOf(r, "Name", path)
			if err != nil {
				return err
			}
			arn := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.cfg.Region, s.cfg.AccountID, name)
			s.res.set(id, arn, map[string]any{"Arn": arn, "Name": name})
		case r.Type == "AWS::Serverless::HttpApi":
			s.res.set(id, "local", map[string]any{})
		case r.Type == "AWS::Lambda::EventSourceMapping":
			// Ref is the mapping's UUID, as CloudFormation returns it.
			s.res.set(id, uuid(), map[string]any{})
		case strings.HasPrefix(r.Type, "AWS::ApiGatewayV2::") && runtimeTypes[r.Type]:
			if err := s.createAPIGatewayV2(id, r); err != nil {
				return err
			}
		case r.Type == "AWS::Pipes::Pipe":
			name, err := s.nameOf(r, "Name", path)
			if err != nil {
				return err
			}
			s.res.set(id, name, map[string]any{"Arn": fmt.Sprintf("arn:aws:pipes:%s:%s:pipe/%s", s.cfg.Region, s.cfg.AccountID, name)})
		case r.Type == "AWS::Logs::LogGroup":
			// Inert locally, but its name and ARN are what a pipe's or an API's log configuration names:
			// CloudFormation's Arn attribute of a log group ends in ":*".
			name, err := s.nameOf(r, "LogGroupName", path)
			if err != nil {
				return err
			}
			s.res.set(id, name, map[string]any{"Arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", s.cfg.Region, s.cfg.AccountID, name)})
		case inertTypes[r.Type]:
			name := s.cfg.StackName + "-" + id
			s.res.set(id, name, map[string]any{"Arn": fmt.Sprintf("arn:aws:local:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, name)})
		default:
			props, err := s.resolve(r.Properties, path)
			if err != nil {
				return err
			}
			out, err := p.Create(ctx, r.Type, s.cfg.StackName+"-"+id, props)
			if err != nil {
				return fmt.Errorf("stack: %s: %w", id, err)
			}
			s.res.set(id, out.Ref, out.Attrs)
		}
	}
	// SAM's implicit API for HttpApi events without an ApiId.
	if _, err := s.res.Ref("ServerlessHttpApi"); err != nil {
		s.res.set("ServerlessHttpApi", "local", map[string]any{})
	}
	return nil
}

// nameOf resolves an optional name property, else CloudFormation's <stack>-<logical id>.
func (s *Stack) nameOf(r sam.Resource, prop, path string) (string, error) {
	v, ok := r.Properties[prop]
	if !ok {
		return s.cfg.StackName + "-" + r.LogicalID, nil
	}
	out, err := s.tpl.Resolve(v, s.env, path+"."+prop)
	if err != nil {
		return "", err
	}
	name, ok := out.(string)
	if !ok || name == "" {
		return "", fmt.Errorf("stack: %s.%s must resolve to a string", path, prop)
	}
	return name, nil
}

func (s *Stack) resolve(v any, path string) (map[string]any, error) {
	out, err := s.tpl.Resolve(v, s.env, path)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

func (s *Stack) resolveOutputs() (map[string]any, error) {
	out := map[string]any{}
	for name, o := range s.tpl.Outputs {
		m, _ := o.(map[string]any)
		if m == nil {
			continue
		}
		if c, _ := m["Condition"].(string); c != "" {
			if ok, err := s.tpl.Condition(c, s.env); err != nil || !ok {
				continue
			}
		}
		v, err := s.tpl.Resolve(m["Value"], s.env, "Outputs."+name+".Value")
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// Resolve resolves a template value (a resource's property, a dashboard body's !Sub) as this running
// stack does: its parameters, names and ARNs. Tests check alarms and dashboards with it.
func (s *Stack) Resolve(v any, path string) (any, error) { return s.tpl.Resolve(v, s.env, path) }

// Template is the template the stack runs.
func (s *Stack) Template() *sam.Template { return s.tpl }

// Close stops everything: servers, pollers, deliveries, function instances.
func (s *Stack) Close(ctx context.Context) error {
	if s.ws != nil {
		// First, while the functions and their AWS endpoint still run: each open connection's
		// $disconnect is invoked, as API Gateway does when it closes connections.
		s.ws.Close()
	}
	for _, srv := range s.servers {
		srv.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	for _, w := range s.waits {
		w()
	}
	if s.sfn != nil {
		s.sfn.Close() // running executions stop cleanly
	}
	if s.bus != nil {
		s.bus.Close()
	}
	if s.host != nil {
		return s.host.Close(ctx)
	}
	return nil
}

// Name is the stack's name, the prefix of its resources' physical names.
func (s *Stack) Name() string { return s.cfg.StackName }

// Functions lists the running functions by name.
func (s *Stack) Functions() []string {
	var out []string
	for _, f := range s.functions {
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}

// Routes lists the HTTP API's routes.
func (s *Stack) Routes() []string {
	if s.gateway == nil {
		return nil
	}
	return s.gateway.Routes()
}

func (s *Stack) logInvocation(r lambdahost.Record) {
	if s.cfg.OnInvoke != nil {
		s.cfg.OnInvoke(r)
	}
	// This line stands for the invocation's platform report, a system log: Lambda logs a successful
	// report at INFO and a failed one at WARN, and sends it only at or above the function's
	// SystemLogLevel (lambdahost.Logging.KeepsSystemLog).
	level := lambdahost.LevelInfo
	if r.Outcome != "ok" {
		level = lambdahost.LevelWarn
	}
	if f := s.byName[r.Function]; f != nil && !f.logging.KeepsSystemLog(level) {
		return
	}
	line := fmt.Sprintf("%s λ %-28s %-12s %6.1fms  %s", time.Now().Format("15:04:05.000"), r.Function, r.Trigger,
		float64(r.Duration.Microseconds())/1000, r.Outcome)
	if r.Cold {
		line += fmt.Sprintf(" (cold start %.1fms)", float64(r.Init.Microseconds())/1000)
	}
	if r.ErrorType != "" {
		line += " " + r.ErrorType
	}
	if r.Injected {
		line += " (injected fault)"
	}
	if h, ok := xray.ParseHeader(r.TraceID); ok {
		line += "  trace " + h.Root
	}
	s.println(line)
}

func (s *Stack) logTransition(execution string, t states.Transition) {
	if s.cfg.OnTransition != nil {
		s.cfg.OnTransition(execution, t)
	}
	what := "entered"
	switch {
	case t.Attempt:
		what = "attempt failed: " + t.Err.Name
	case !t.Entered:
		what = "exited"
		if t.Err != nil {
			what = "failed: " + t.Err.Name
		}
	}
	s.println(fmt.Sprintf("%s ◇ %-28s %s %s (%s)", time.Now().Format("15:04:05.000"), execution, t.State, what, t.Type))
}

func (s *Stack) logDelivery(d eventbus.Delivery) {
	outcome := "delivered"
	if d.Err != nil {
		outcome = "FAILED: " + d.Err.Error()
		if d.DeadLettered {
			outcome += " (sent to DLQ)"
		}
	}
	if d.Duplicate {
		outcome += " (injected duplicate)"
	}
	if d.Held > 0 {
		outcome += fmt.Sprintf(" (held back %s: injected)", d.Held.Round(time.Millisecond))
	}
	s.println(fmt.Sprintf("%s ⇢ %-28s %s -> %s after %d attempt(s): %s", time.Now().Format("15:04:05.000"), d.Rule, d.DetailType, d.Target, d.Attempts, outcome))
	if s.cfg.OnDelivery != nil {
		s.cfg.OnDelivery(d)
	}
}

func (s *Stack) println(line string) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintln(s.cfg.Output, line)
}

// binary finds a function's host build from its CodeUri (functions/place-order -> place-order).
func (s *Stack) binary(props map[string]any) (string, error) {
	code, _ := props["CodeUri"].(string)
	if code == "" {
		return "", errors.New("CodeUri must be a local folder")
	}
	bin := filepath.Join(s.cfg.BinDir, filepath.Base(code), "bootstrap")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("binary %s is missing: run `make build-host`", bin)
	}
	return bin, nil
}

// lambdaName is the function name of a Lambda ARN, unqualified or qualified with a version or alias
// (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]); anything else as nameFromArn.
func lambdaName(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":function:"); ok {
		name, _, _ := strings.Cut(rest, ":")
		return name
	}
	return nameFromArn(arn)
}

func nameFromArn(arn string) string {
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// InjectFault makes the AWS endpoint the functions use answer matching requests with an AWS error (see
// edge.Fault) until the returned function removes it.
func (s *Stack) InjectFault(f edge.Fault) (remove func()) { return s.edge.Inject(f) }

func (s *Stack) recordCall(c edge.Call) {
	f := s.byName[c.AccessKey]
	if f == nil {
		return // a developer's or a test's own call
	}
	s.callMu.Lock()
	defer s.callMu.Unlock()
	if s.calls == nil {
		s.calls = map[string]map[string]int{}
	}
	if s.calls[f.logicalID] == nil {
		s.calls[f.logicalID] = map[string]int{}
	}
	s.calls[f.logicalID][c.Service+":"+c.Operation]++
}

// Calls reports the AWS calls each function made so far, by logical id, as "service:operation" with
// counts: what its IAM policy must allow, and what a cost model counts.
func (s *Stack) Calls() map[string]map[string]int {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	out := make(map[string]map[string]int, len(s.calls))
	for fn, ops := range s.calls {
		out[fn] = maps.Clone(ops)
	}
	return out
}
