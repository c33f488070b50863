// Command capi is TinyWindow's C API, built as a shared library:
//
//	go build -buildmode=c-shared -o libtinywindow.so ./bindings/capi
//
// The build also writes libtinywindow.h, which declares the functions and the
// status codes below. Every function returns an int status code: TW_OK (0) on
// success, TW_INVALID_SIGNATURE (1) from a verify whose signature is not
// valid, and a TW_ERR_* code otherwise, with a message written to the
// caller's error buffer (errbuf, errcap; a NULL errbuf is allowed and gets no
// message). Messages are NUL-terminated UTF-8, cut to fit the buffer; 256
// bytes hold every message the library writes for bad input.
//
// Keys live in Go. C holds only integer handles returned by tw_open and
// released by tw_close; no Go pointer is ever handed to C. tw_close waits for
// the calls still using the handle to return; later calls on it get
// TW_ERR_CLOSED. Handles are never reused. Byte strings go in
// as a pointer and a length, and are not kept after the call returns; results
// are written into caller-provided buffers (a buffer that is too small gives
// TW_ERR_BUFFER_TOO_SMALL and the size needed in *outlen). A Go panic inside
// a call is recovered and reported as TW_ERR_INTERNAL; it never crosses into
// C. Every function is safe to call from many threads at once.
//
// The functions:
//
//	int tw_abi_version(void);
//	int tw_open(const char *uri, size_t urilen, uint64_t *handle, char *errbuf, size_t errcap);
//	int tw_sign(uint64_t handle, const uint8_t *msg, size_t msglen,
//	            uint8_t *out, size_t outcap, size_t *outlen, char *errbuf, size_t errcap);
//	int tw_verify(uint64_t handle, const uint8_t *msg, size_t msglen,
//	              const uint8_t *sig, size_t siglen, char *errbuf, size_t errcap);
//	int tw_public_key_pem(uint64_t handle, char *out, size_t outcap, size_t *outlen, char *errbuf, size_t errcap);
//	int tw_key_info_json(uint64_t handle, char *out, size_t outcap, size_t *outlen, char *errbuf, size_t errcap);
//	int tw_close(uint64_t handle, char *errbuf, size_t errcap);
//	int tw_providers_json(char *out, size_t outcap, size_t *outlen, char *errbuf, size_t errcap);
//	int tw_mvp_keygen(uint64_t seed, uint8_t out[32]);
//	int tw_mvp_sign(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t msglen,
//	                uint8_t out[32], char *errbuf, size_t errcap);
//	int tw_mvp_verify(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t msglen,
//	                  const uint8_t *sig, size_t siglen, char *errbuf, size_t errcap);
//
// The tw_mvp_* functions are the MVP's keygen, sign (HMAC-SHA256) and verify,
// byte for byte, with 32-byte keys; a signature of the wrong length is
// TW_INVALID_SIGNATURE, as the MVP's verify returned false for it.
//
// The backends linked in are listed in backends.go.
package main

func main() {}
