package lambdahost

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// InvokeAPI serves Lambda's Invoke operation (POST /2015-03-31/functions/{name}/invocations) with
// AWS's headers and error shapes, so the SDK and the CLI can invoke local functions.
func (h *Host) InvokeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", h.serveInvoke)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "UnknownOperationException", "the local Lambda endpoint serves Invoke only")
	})
	return mux
}

// traceHeader carries the caller's X-Ray trace header; the SDK sets it from _X_AMZN_TRACE_ID inside a
// function, so a function invoking another continues its trace, as on AWS.
const traceHeader = "X-Amzn-Trace-Id"

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}

func (h *Host) serveInvoke(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		// The SDKs send a version or alias as ?Qualifier= rather than in the name.
		name += ":" + q
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = "RequestResponse"
	}
	limit := int64(MaxSyncPayload)
	if typ == "Event" {
		limit = MaxAsyncPayload
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if int64(len(payload)) > limit {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request must be smaller than the invocation payload limit")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	if _, err := h.lookup(name); err != nil {
		platformError(w, err)
		return
	}
	switch typ {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	case "Event":
		if err := h.InvokeAsync(name, payload, AsyncOptions{Trigger: "invoke-api", TraceID: r.Header.Get(traceHeader)}); err != nil {
			platformError(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case "RequestResponse":
		res, err := h.Invoke(r.Context(), name, payload, InvokeOptions{Trigger: "invoke-api", ClientContext: clientContext(r), TraceID: r.Header.Get(traceHeader)})
		if err != nil {
			platformError(w, err)
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-Requestid", res.RequestID)
		if r.Header.Get("X-Amz-Log-Type") == "Tail" {
			w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.Logs))
		}
		body := res.Payload
		if res.Err != nil {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			body, _ = json.Marshal(res.Err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun")
	}
}

func clientContext(r *http.Request) []byte {
	cc := r.Header.Get("X-Amz-Client-Context")
	if cc == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(cc)
	if err != nil {
		return nil
	}
	return b
}

func platformError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrFunctionNotFound):
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", err.Error())
	case errors.Is(err, ErrTooManyRequests):
		apiError(w, http.StatusTooManyRequests, "TooManyRequestsException", err.Error())
	case errors.Is(err, ErrPayloadTooLarge):
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", err.Error())
	default:
		apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
	}
}
