// Package iampolicy reads the IAM side of a transformed template (plain CloudFormation, after the SAM
// transform: every role SAM generates for a function or a state machine, with its inline policies and
// managed policy ARNs) and answers the two questions Orion's IAM tests ask: does a role allow an
// action, and which of its statements are broader than a resource or an action.
//
// It evaluates Allow statements only, as written: the template has no Deny, no NotAction and no
// IAM conditions on function roles, and Load refuses a template that does (so a test can never pass by
// misreading one). A statement may be chosen by a template condition (Fn::If, as RegisterFunction's
// AdminConfirmSignUp exists only where users are auto-confirmed): LoadWith evaluates it with the stack's
// parameters, Load with the template's defaults. A role's permissions boundary (a managed policy of the
// template, which caps what the role's policies grant) is read apart, NotAction included (Boundary).
package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"sort"
	"strings"
)

// Statement is one Allow statement, its resources rendered as text: literal ARNs as they are,
// {"Fn::GetAtt":[X,"Arn"]} as "GetAtt:X.Arn", {"Ref":X} as "Ref:X", Fn::Sub as its template string.
type Statement struct {
	Policy    string
	Actions   []string
	Resources []string
}

// Role is an IAM role of the template.
type Role struct {
	LogicalID  string
	Managed    []string // managed policy ARNs
	Statements []Statement
	// Boundary is the logical id of the role's permissions boundary, "" for none.
	Boundary string
}

// Boundary is a permissions boundary: an AWS::IAM::ManagedPolicy of the template that roles name as
// PermissionsBoundary. It grants nothing; a role may do only what both its policies and the boundary
// allow (docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
type Boundary struct {
	LogicalID  string
	Statements []BoundaryStatement
}

// BoundaryStatement is one Allow statement of a boundary: Actions, or every action but NotActions.
type BoundaryStatement struct {
	Actions, NotActions, Resources []string
}

// Template is the IAM view of a transformed template.
type Template struct {
	Roles map[string]*Role
	// FunctionRoles maps each Lambda function's logical id to its role's.
	FunctionRoles map[string]string
	// StateMachines maps each state machine's logical id to its definition's key (a path relative to
	// the template) and its DefinitionSubstitutions rendered as text.
	StateMachines map[string]StateMachine
	// Versions maps each Lambda version's logical id (SAM's AutoPublishAlias generates them) to its
	// function's.
	Versions map[string]string
	// Boundaries are the permissions boundaries, by logical id.
	Boundaries map[string]*Boundary
	// FunctionLogGroups maps each function to its LoggingConfig.LogGroup, rendered ("Ref:X"); "" when
	// it logs to Lambda's default /aws/lambda/<name>.
	FunctionLogGroups map[string]string
}

// StateMachine is what the tests need of a state machine.
type StateMachine struct {
	Role          string
	Definition    string
	Substitutions map[string]string
}

// Transform runs the offline SAM transform (infra/scripts/sam-translate.py, as make lint does) on a
// template and writes plain CloudFormation JSON to out. It needs python3 with aws-sam-translator.
func Transform(script, template, out string) error {
	cmd := exec.Command("python3", script, template, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("iampolicy: %s: %v\n%s", script, err, b)
	}
	return nil
}

// ErrTransformUnavailable means python3 or aws-sam-translator is missing on this machine.
var ErrTransformUnavailable = errors.New("iampolicy: python3 with aws-sam-translator is not installed")

// TransformAvailable reports whether Transform can run here.
func TransformAvailable() error {
	if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
		return fmt.Errorf("%w: %v", ErrTransformUnavailable, err)
	}
	return nil
}

// Load reads a transformed template, its conditions evaluated with the parameters' defaults.
func Load(file string) (*Template, error) { return LoadWith(file, nil) }

// LoadWith reads a transformed template, its conditions evaluated with params over the parameters'
// defaults.
func LoadWith(file string, params map[string]string) (*Template, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Parameters map[string]struct{ Default any }
		Conditions map[string]any
		Resources  map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("iampolicy: %s: %w", file, err)
	}
	values := map[string]string{}
	for name, p := range doc.Parameters {
		if p.Default != nil {
			values[name] = fmt.Sprint(p.Default)
		}
	}
	for k, v := range params {
		values[k] = v
	}
	cond := conditions{exprs: doc.Conditions, params: values}
	t := &Template{Roles: map[string]*Role{}, FunctionRoles: map[string]string{}, StateMachines: map[string]StateMachine{}, Versions: map[string]string{},
		Boundaries: map[string]*Boundary{}, FunctionLogGroups: map[string]string{}}
	for id, r := range doc.Resources {
		switch r.Type {
		case "AWS::IAM::Role":
			role, err := parseRole(id, r.Properties, cond)
			if err != nil {
				return nil, err
			}
			t.Roles[id] = role
		case "AWS::IAM::ManagedPolicy":
			b, err := parseBoundary(id, r.Properties)
			if err != nil {
				return nil, err
			}
			t.Boundaries[id] = b
		case "AWS::IAM::Policy", "AWS::IAM::RolePolicy":
			return nil, fmt.Errorf("iampolicy: %s: standalone %s is not read; attach policies to roles", id, r.Type)
		case "AWS::Lambda::Function":
			t.FunctionRoles[id] = getAttTarget(r.Properties["Role"])
			if lc, ok := r.Properties["LoggingConfig"].(map[string]any); ok && lc["LogGroup"] != nil {
				t.FunctionLogGroups[id] = render(lc["LogGroup"])
			}
		case "AWS::Lambda::Version":
			t.Versions[id] = strings.TrimPrefix(render(r.Properties["FunctionName"]), "Ref:")
		case "AWS::StepFunctions::StateMachine":
			sm := StateMachine{Role: getAttTarget(r.Properties["RoleArn"]), Substitutions: map[string]string{}}
			if loc, ok := r.Properties["DefinitionS3Location"].(map[string]any); ok {
				sm.Definition, _ = loc["Key"].(string)
			}
			if subs, ok := r.Properties["DefinitionSubstitutions"].(map[string]any); ok {
				for k, v := range subs {
					sm.Substitutions[k] = render(v)
				}
			}
			t.StateMachines[id] = sm
		}
	}
	// A managed policy is read only as a boundary: one that no role names would grant what Load does
	// not see once it is attached elsewhere.
	used := map[string]bool{}
	for _, r := range t.Roles {
		if r.Boundary == "" {
			continue
		}
		if t.Boundaries[r.Boundary] == nil {
			return nil, fmt.Errorf("iampolicy: %s: permissions boundary %s is no managed policy of the template", r.LogicalID, r.Boundary)
		}
		used[r.Boundary] = true
	}
	for id := range t.Boundaries {
		if !used[id] {
			return nil, fmt.Errorf("iampolicy: %s: a managed policy is read only as a role's permissions boundary", id)
		}
	}
	return t, nil
}

func parseBoundary(id string, props map[string]any) (*Boundary, error) {
	b := &Boundary{LogicalID: id}
	doc, _ := props["PolicyDocument"].(map[string]any)
	for _, s := range list(doc["Statement"]) {
		sm, _ := s.(map[string]any)
		for k := range sm {
			switch k {
			case "Effect", "Action", "NotAction", "Resource", "Sid":
			default:
				return nil, fmt.Errorf("iampolicy: %s: statement key %s is not evaluated", id, k)
			}
		}
		if sm["Effect"] != "Allow" {
			return nil, fmt.Errorf("iampolicy: %s: only Allow statements are evaluated", id)
		}
		b.Statements = append(b.Statements, BoundaryStatement{Actions: renderAll(sm["Action"]), NotActions: renderAll(sm["NotAction"]),
			Resources: renderAll(sm["Resource"])})
	}
	return b, nil
}

// Resources lists the resources on which the boundary allows action ("*" among them when it allows
// it everywhere); none means the boundary denies it.
func (b *Boundary) Resources(action string) []string {
	var out []string
	for _, s := range b.Statements {
		ok := false
		if len(s.NotActions) > 0 {
			ok = !slices.ContainsFunc(s.NotActions, func(p string) bool { return Match(p, action) })
		} else {
			ok = slices.ContainsFunc(s.Actions, func(p string) bool { return Match(p, action) })
		}
		if ok {
			out = append(out, s.Resources...)
		}
	}
	return out
}

func parseRole(id string, props map[string]any, cond conditions) (*Role, error) {
	role := &Role{LogicalID: id}
	if pb := props["PermissionsBoundary"]; pb != nil {
		m, _ := pb.(map[string]any)
		ref, ok := m["Ref"].(string)
		if !ok {
			return nil, fmt.Errorf("iampolicy: %s: PermissionsBoundary %s is not read: name a managed policy of the template (Ref)", id, render(pb))
		}
		role.Boundary = ref
	}
	role.Managed = renderAll(props["ManagedPolicyArns"])
	for _, p := range list(props["Policies"]) {
		pm, _ := p.(map[string]any)
		name, _ := pm["PolicyName"].(string)
		doc, _ := pm["PolicyDocument"].(map[string]any)
		for _, s := range list(doc["Statement"]) {
			sm, _ := s.(map[string]any)
			if chosen, ok, err := cond.choose(sm); err != nil {
				return nil, fmt.Errorf("iampolicy: %s/%s: %w", id, name, err)
			} else if ok {
				if chosen == nil {
					continue // AWS::NoValue: no statement under these parameters
				}
				sm = chosen
			}
			for k := range sm {
				switch k {
				case "Effect", "Action", "Resource", "Sid":
				default:
					return nil, fmt.Errorf("iampolicy: %s/%s: statement key %s is not evaluated", id, name, k)
				}
			}
			if sm["Effect"] != "Allow" {
				return nil, fmt.Errorf("iampolicy: %s/%s: only Allow statements are evaluated", id, name)
			}
			role.Statements = append(role.Statements, Statement{Policy: name, Actions: renderAll(sm["Action"]), Resources: renderAll(sm["Resource"])})
		}
	}
	return role, nil
}

// conditions evaluates the template's conditions with the stack's parameters.
type conditions struct {
	exprs  map[string]any
	params map[string]string
}

// choose resolves a statement written as {"Fn::If": [condition, then, else]}: ok reports whether it
// was one, and the statement is nil where the branch is AWS::NoValue.
func (c conditions) choose(sm map[string]any) (map[string]any, bool, error) {
	args, isIf := sm["Fn::If"].([]any)
	if !isIf {
		return nil, false, nil
	}
	if len(sm) != 1 || len(args) != 3 {
		return nil, true, fmt.Errorf("malformed Fn::If %v", sm)
	}
	name, _ := args[0].(string)
	yes, err := c.eval(map[string]any{"Condition": name}, 0)
	if err != nil {
		return nil, true, err
	}
	branch := args[2]
	if yes {
		branch = args[1]
	}
	if m, _ := branch.(map[string]any); m["Ref"] == "AWS::NoValue" {
		return nil, true, nil
	}
	m, ok := branch.(map[string]any)
	if !ok {
		return nil, true, fmt.Errorf("Fn::If %s: a branch is not a statement", name)
	}
	return m, true, nil
}

// eval evaluates a condition expression: Condition, Fn::Equals over Ref parameters and literals,
// Fn::Not, Fn::And, Fn::Or. Anything else is an error, never a guess.
func (c conditions) eval(e any, depth int) (bool, error) {
	if depth > 20 {
		return false, errors.New("conditions nest too deep")
	}
	m, _ := e.(map[string]any)
	if name, ok := m["Condition"].(string); ok && len(m) == 1 {
		x, ok := c.exprs[name]
		if !ok {
			return false, fmt.Errorf("no condition %s", name)
		}
		return c.eval(x, depth+1)
	}
	if args, ok := m["Fn::Equals"].([]any); ok && len(args) == 2 {
		a, err := c.value(args[0])
		if err != nil {
			return false, err
		}
		b, err := c.value(args[1])
		return err == nil && a == b, err
	}
	if args, ok := m["Fn::Not"].([]any); ok && len(args) == 1 {
		v, err := c.eval(args[0], depth+1)
		return !v, err
	}
	for _, op := range []string{"Fn::And", "Fn::Or"} {
		args, ok := m[op].([]any)
		if !ok {
			continue
		}
		for _, a := range args {
			v, err := c.eval(a, depth+1)
			if err != nil {
				return false, err
			}
			if v == (op == "Fn::Or") {
				return v, nil
			}
		}
		return op == "Fn::And", nil
	}
	return false, fmt.Errorf("condition %v is not evaluated", e)
}

func (c conditions) value(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := c.params[ref]; ok {
				return p, nil
			}
			return "", fmt.Errorf("parameter %s has no value", ref)
		}
	}
	return "", fmt.Errorf("value %v is not evaluated", v)
}

// list reads a value that IAM allows as one item or a list.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func getAttTarget(v any) string {
	m, _ := v.(map[string]any)
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// render turns a resource or ARN value into text a test can read.
// renderAll renders each element of a value that may be one element or a list.
func renderAll(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, render(x))
	}
	return out
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return fmt.Sprintf("GetAtt:%v.%v", ga[0], ga[1])
		}
		if ref, ok := x["Ref"].(string); ok {
			return "Ref:" + ref
		}
		if sub, ok := x["Fn::Sub"]; ok {
			switch s := sub.(type) {
			case string:
				return s
			case []any:
				if len(s) == 2 {
					out, _ := s[0].(string)
					vars, _ := s[1].(map[string]any)
					for k, v := range vars {
						out = strings.ReplaceAll(out, "${"+k+"}", "${"+strings.TrimPrefix(render(v), "Ref:")+"}")
					}
					return out
				}
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Allows reports whether one of the role's inline statements allows action (service:Operation). IAM
// action names are case-insensitive and may hold * and ? wildcards. Managed policies are not
// evaluated: the tests list them by ARN.
func (r *Role) Allows(action string) bool {
	for _, s := range r.Statements {
		for _, a := range s.Actions {
			if Match(a, action) {
				return true
			}
		}
	}
	return false
}

// Actions lists the distinct actions the role's inline statements name, sorted.
func (r *Role) Actions() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.Statements {
		for _, a := range s.Actions {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Match matches an IAM action pattern (with * and ?) against an action, ignoring case.
func Match(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}

// Broad is a statement part that is not scoped: an action with a wildcard, or the resource "*".
type Broad struct {
	Role, Policy, What string
}

func (b Broad) String() string { return b.Role + "/" + b.Policy + ": " + b.What }

// Broad lists every wildcard action and every "*" resource of the role's inline statements.
func (r *Role) Broad() []Broad {
	var out []Broad
	for _, s := range r.Statements {
		for _, a := range s.Actions {
			if strings.ContainsAny(a, "*?") {
				out = append(out, Broad{r.LogicalID, s.Policy, "action " + a})
			}
		}
		for _, res := range s.Resources {
			if res == "*" {
				out = append(out, Broad{r.LogicalID, s.Policy, strings.Join(s.Actions, ",") + " on *"})
			}
		}
	}
	return out
}

// CallActions maps a call the local runtime recorded (Stack.Calls: "service:Operation" for JSON
// protocols, "service:METHOD /path" for REST ones) to the IAM actions that authorize it; any one of
// them suffices. A call it does not know maps to nothing, which a test reports as unmapped.
func CallActions(call string) []string {
	service, op, _ := strings.Cut(call, ":")
	switch {
	case service == "dynamodb" && op == "TransactWriteItems":
		// A transaction is authorized per item: Put needs PutItem, Update UpdateItem, Delete
		// DeleteItem, ConditionCheck ConditionCheckItem on each item's table.
		return []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
	case service == "dynamodb" && op == "TransactGetItems":
		return []string{"dynamodb:GetItem"}
	case service == "ses" && op == "POST /v2/email/outbound-emails":
		return []string{"ses:SendEmail"}
	case service == "execute-api" && strings.Contains(op, " /@connections/"):
		return []string{"execute-api:ManageConnections"}
	case strings.Contains(op, " "):
		return nil // another REST operation: map it here first
	}
	return []string{service + ":" + op}
}
