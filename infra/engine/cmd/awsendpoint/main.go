// Command awsendpoint makes sure a local AWS endpoint answers on 127.0.0.1:4566 (LocalStack if it is
// already there, otherwise a moto_server it starts) and then either runs a command against it or waits
// for Ctrl-C. Whatever it started, it stops.
//
//	awsendpoint run -- go test ./...
//	awsendpoint serve
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 || (args[0] != "serve" && args[0] != "run") {
		fmt.Fprintln(os.Stderr, "usage: awsendpoint serve | awsendpoint run -- COMMAND [ARGS...]")
		return 2
	}
	addr := os.Getenv("ORION_AWS_ADDR")
	if addr == "" {
		addr = localaws.DefaultAddr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start, cancel := context.WithTimeout(ctx, 30*time.Second)
	ep, err := localaws.Ensure(start, addr)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "awsendpoint: %v\n", err)
		return 1
	}
	defer ep.Close()
	how := "already running"
	if ep.Started() {
		how = "started"
	}
	if ep.DynamoDB != "" {
		how += "; DynamoDB on " + ep.DynamoDB
	}
	fmt.Fprintf(os.Stderr, "awsendpoint: %s at %s (%s)\n", ep.Kind, ep.URL, how)

	if args[0] == "serve" {
		<-ctx.Done()
		return 0
	}
	cmdArgs := args[1:]
	if len(cmdArgs) > 0 && cmdArgs[0] == "--" {
		cmdArgs = cmdArgs[1:]
	}
	if len(cmdArgs) == 0 {
		fmt.Fprintln(os.Stderr, "awsendpoint run: no command")
		return 2
	}
	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), ep.Env()...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "awsendpoint: %v\n", err)
		return 1
	}
	// The child shares our terminal, so it receives Ctrl-C itself; we only wait for it to finish.
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code > 0 {
			return code
		}
		return 1
	default:
		fmt.Fprintf(os.Stderr, "awsendpoint: %v\n", err)
		return 1
	}
}
