// Package cloudkey holds what the handles of keys kept by a remote service
// (AWS KMS, Cloud KMS, Vault Transit) share, so that each backend keeps only
// its service calls: a [Handle] that describes the key, refuses calls after
// Close or with a done context, and releases the client once; and a
// [MACKey] that makes an HMAC-SHA256 key of any service that can make and
// check a tag ([MACService]).
package cloudkey
