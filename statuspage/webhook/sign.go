package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// request body keyed with the subscriber's secret.
	SignatureHeader = "X-Headroom-Signature"
	// DeliveryHeader carries the delivery's id: the same on every attempt
	// of one delivery, so that a receiver can drop a duplicate.
	DeliveryHeader = "X-Headroom-Delivery"
)

// signaturePrefix names the algorithm in SignatureHeader's value.
const signaturePrefix = "sha256="

// ErrSignature is Verify's answer to a missing, malformed or wrong
// signature.
var ErrSignature = errors.New("webhook: signature does not match the body")

// Sign returns SignatureHeader's value for body sent with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks, for a receiver, that signature (SignatureHeader's value)
// is body's signature with secret. body must be the request's raw bytes,
// read before any parsing. The comparison takes the same time wherever
// the signatures differ.
//
//	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//	...
//	if err := webhook.Verify(secret, body, r.Header.Get(webhook.SignatureHeader)); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// Errors: ErrSignature.
func Verify(secret string, body []byte, signature string) error {
	hexSum, ok := strings.CutPrefix(signature, signaturePrefix)
	if !ok {
		return ErrSignature
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return ErrSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignature
	}
	return nil
}
