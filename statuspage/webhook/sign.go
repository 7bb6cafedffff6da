package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<delivery id>.<body>" keyed with the subscriber's secret>": the
	// time of the attempt and the delivery are signed with the body, so
	// that a captured delivery can be replayed neither later nor under
	// another id.
	SignatureHeader = "X-Headroom-Signature"
	// DeliveryHeader carries the delivery's id: the same on every attempt
	// of one delivery, so that a receiver can drop a duplicate.
	DeliveryHeader = "X-Headroom-Delivery"
)

// DefaultTolerance is how far the signed time of an attempt may be from
// the receiver's clock, either way, for Verify to accept it: a replay
// window of 5 minutes (Stripe's), room for clocks a little apart.
const DefaultTolerance = 5 * time.Minute

// Verify's answers.
var (
	// ErrSignature: the signature is missing, malformed, or not the
	// delivery's (another secret, body, id or time).
	ErrSignature = errors.New("webhook: signature does not match the delivery")
	// ErrStale: the signature is the delivery's, made at a time further
	// from now than the tolerance: a replay, or a clock far off.
	ErrStale = errors.New("webhook: signature made outside the tolerance: a replay, or a clock far off")
)

// Sign returns SignatureHeader's value for the attempt at t of delivery id
// (DeliveryHeader's value) carrying body, with secret.
func Sign(secret, id string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, id, body))
}

// mac is the HMAC-SHA256 of "<ts>.<id>.<body>" with secret.
func mac(secret, ts, id string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verifier checks deliveries for a receiver that knows the subscriber's
// secret.
type Verifier struct {
	Secret string
	// Tolerance is how far the signed time may be from Now, either way:
	// DefaultTolerance when 0; a negative one checks no time.
	Tolerance time.Duration
	// Now is the receiver's clock; time.Now when nil.
	Now func() time.Time
}

// Verify checks that a delivery's headers (DeliveryHeader and
// SignatureHeader) sign body, its raw bytes read before any parsing, with
// the secret, at a time within the tolerance. The comparison takes the
// same time wherever the signatures differ. A SignatureHeader may carry
// several v1 signatures (any one that matches will do) and other schemes
// (ignored).
//
//	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//	...
//	if err := webhook.Verify(secret, r.Header, body); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//	// r.Header.Get(webhook.DeliveryHeader) is now the signed id: drop it if seen.
//
// Errors: ErrSignature, ErrStale.
func (v Verifier) Verify(header http.Header, body []byte) error {
	id := header.Get(DeliveryHeader)
	if id == "" {
		return fmt.Errorf("%w: no %s header", ErrSignature, DeliveryHeader)
	}
	var (
		ts   string
		sigs [][]byte
	)
	for part := range strings.SplitSeq(header.Get(SignatureHeader), ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: two timestamps", ErrSignature)
			}
			ts = val
		case "v1":
			if sig, err := hex.DecodeString(val); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts[0] < '0' || ts[0] > '9' || len(sigs) == 0 {
		return fmt.Errorf("%w: expected t=<unix seconds>,v1=<hex>", ErrSignature)
	}
	want := mac(v.Secret, ts, id, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	tolerance := v.Tolerance
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if off := now().Sub(time.Unix(sent, 0)); tolerance > 0 && (off > tolerance || off < -tolerance) {
		return fmt.Errorf("%w: signed %s from now, tolerance %s", ErrStale, off.Round(time.Second), tolerance)
	}
	return nil
}

// Verify is Verifier{Secret: secret}.Verify(header, body): the receiver's
// clock, DefaultTolerance.
//
// Errors: ErrSignature, ErrStale.
func Verify(secret string, header http.Header, body []byte) error {
	return Verifier{Secret: secret}.Verify(header, body)
}
