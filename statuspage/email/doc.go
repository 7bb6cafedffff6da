// Package email mails the status page's email subscribers: the
// confirmation of a new subscription (double opt-in) and every
// notification it follows, built as RFC 5322 messages with net/mail and
// mime, each with its unsubscribe link and the List-Unsubscribe headers of
// RFC 2369 and RFC 8058, and sent through an SMTP server with net/smtp
// (STARTTLS when the server offers it). Its Sender is the Mailer of
// statuspage/webhook's Worker: mails leave from the same durable outbox as
// webhooks, with the same retries.
package email
