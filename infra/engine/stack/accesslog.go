package stack

import "sync"

// accessLogLines is what the HTTP API's stage wrote to its access log (AccessLogSettings): on AWS the
// lines go to the DestinationArn log group; locally the stack keeps the latest ones for tests to read
// (Stack.AccessLog), as a developer reads the group.
type accessLogLines struct {
	mu    sync.Mutex
	lines []string
}

// maxAccessLines bounds the memory a long make dev session spends on the access log.
const maxAccessLines = 20000

func (a *accessLogLines) add(line string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.lines) >= maxAccessLines {
		a.lines = append(a.lines[:0], a.lines[len(a.lines)-maxAccessLines/2:]...)
	}
	a.lines = append(a.lines, line)
}

// AccessLog returns the HTTP API's access log lines so far (the latest ones), oldest first; none when
// the template sets no AccessLogSettings.
func (s *Stack) AccessLog() []string {
	s.accessLog.mu.Lock()
	defer s.accessLog.mu.Unlock()
	return append([]string(nil), s.accessLog.lines...)
}
