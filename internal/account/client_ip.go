package account

import "context"

// The caller's IP travels to the identity provider for its risk checks only (Cognito's threat
// protection reads UserContextData.IpAddress): it decides nothing in the use cases. Each command of
// an anonymous account call carries it (ClientIP) and its handler puts it on the context, which is
// what request-scoped data that crosses an API boundary rides on in Go; the ports' methods stay what
// the use cases mean (sign in with a password), and the adapter reads it back (ClientIP). An empty IP
// sends none.

type clientIPKey struct{}

// WithClientIP returns ctx carrying the caller's IP address ("" leaves ctx as it is).
func WithClientIP(ctx context.Context, ip string) context.Context {
	if ip == "" {
		return ctx
	}
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP is the caller's IP address put on ctx by WithClientIP, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
