// Package fleettest is a small real world for end-to-end tests of `headroom
// serve`: a fleet of HTTP instances on loopback, resized through the files a
// command actuator's scripts read and write, a reverse proxy in front of it
// that answers 502 as a load balancer does, and an open-loop load generator.
//
// Every instance is an http.Server in the test process with a bounded pool of
// workers and a handler of known cost (a fixed sleep), so it serves exactly
// Workers/ServiceTime requests a second: the service model's
// capacityPerInstance. A request that cannot get a worker within the request
// timeout less the service time is refused (503), as the simulator's model
// refuses a request that could not start in time.
//
// The fleet is resized by a command actuator: scale.sh writes the desired
// count to a file the fleet polls; instances added become ready after the
// start-up delay, instances removed stop at once (their requests in flight
// finish). read.sh prints {"ready": R, "launching": L}.
//
// The proxy (net/http/httputil.ReverseProxy) sends requests round robin to the
// ready instances and answers 502 when an instance refuses a request
// (saturated: it could not start within the request timeout), when none is
// ready, or when an instance that took a request does not answer within the
// request timeout and Grace. Its /metrics (Prometheus text) holds the proxy's
// http_requests_total{code}, http_request_duration_seconds{code} and the
// fleet's fleet_busy_seconds_total, fleet_ready_workers and
// fleet_instances{state}.
//
// The load generator sends requests with Poisson arrivals at a rate that
// follows a function of time, whatever the answers (an open loop, as users
// are), and counts the answers by status code.
package fleettest
