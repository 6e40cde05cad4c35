// Package wsapi does locally what an Amazon API Gateway WebSocket API does in front of Lambda, so
// functions written for AWS run unchanged: the $connect, $disconnect and $default routes, routing
// of messages by a route selection expression on a JSON body, the Lambda proxy integration event
// (events.APIGatewayWebsocketProxyRequest), two-way routes, the @connections Management API that
// functions reach with the apigatewaymanagementapi client, and API Gateway's quotas and answers.
// See "Working with WebSocket APIs" and "Quotas for configuring and running a WebSocket API" in the
// API Gateway developer guide.
//
// What it reproduces:
//
//   - $connect runs before the upgrade completes; a function error refuses it with 500, a statusCode
//     outside 2xx refuses it with that status, and nothing is stored, so the @connections API answers
//     410 for that id (as AWS does for a post made from inside $connect).
//   - Messages route by "$request.body.<path>"; a non-JSON body, a binary frame or an unmatched value
//     goes to $default; without $default the client gets {"message":"Forbidden",...} and stays
//     connected. A failing function sends {"message":"Internal server error",...}.
//   - Only routes marked TwoWay (in AWS: routes with a route response) send the function's result
//     back; a proxy-shaped result sends its "body".
//   - A message over 128 KB closes the connection with status 1009, as AWS does. Idle connections
//     (no data frame either way for IdleTimeout, 10 minutes by default; pings do not count) and
//     connections older than MaxLifetime (2 hours) are closed with 1001.
//   - $disconnect runs exactly once per accepted connection, whatever ended it, with
//     disconnectStatusCode and disconnectReason set.
//   - @connections POST, GET and DELETE, with an optional leading /{stage} segment, and the errors
//     the SDK decodes: GoneException (410), PayloadTooLargeException (413), LimitExceededException
//     (429), ForbiddenException (403).
//
// Each connection has its own bounded send queue and writer goroutine, so a client that stops
// reading never delays another. A POST waits until its frame is written, at most WriteTimeout: a
// full queue answers 429 LimitExceededException at once, and a write that times out closes the
// connection (AWS drops clients that stop reading) and answers 410 GoneException.
//
// What it does not do: authorizers (check the token in the $connect function), API keys and
// usage plans, request/response mapping templates and non-proxy integrations, route request
// validation, splitting outgoing messages into 32 KB frames or refusing incoming frames over
// 32 KB (clients send one frame per message, and real clients rarely notice the difference),
// SigV4 verification of @connections calls, and per-account connection rate limits. The
// disconnectReason texts are close to, not copied from, AWS's.
package wsapi
