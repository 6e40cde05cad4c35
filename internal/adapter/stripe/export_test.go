package stripe

// LastRefund exposes lastRefund to the tests against stripe-mock.
var LastRefund = (*Provider).lastRefund
