// Package events handles Apideck's connection events: webhooks verified,
// deduplicated, pushed to the open event streams of the consumer they
// concern, and relayed to the app in the Standard Webhooks format.
package events
