/* SPDX-License-Identifier: MIT */
/* Sealing of journal records: XChaCha20-Poly1305 (IETF), a random 24-byte
 * nonce per record stored in front of the ciphertext, and the record's
 * 20-byte header (length, type, flags, epoch, sequence number) as associated
 * data, so a sealed payload moved to another place in the journal, or a
 * record replayed under a new sequence number, fails authentication.
 * Built only with the crypto module (CV_HAVE_CRYPTO). */
#ifndef CANDYVEND_JOURNAL_SEAL_H
#define CANDYVEND_JOURNAL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <candyvend/status.h>

#define CV_JOURNAL_SEAL_NONCE 24
#define CV_JOURNAL_SEAL_TAG 16
#define CV_JOURNAL_SEAL_OVERHEAD (CV_JOURNAL_SEAL_NONCE + CV_JOURNAL_SEAL_TAG)

/* Writes nonce | ciphertext | tag (length + CV_JOURNAL_SEAL_OVERHEAD bytes) to out. */
void cv_journal_seal(const uint8_t key[32], const uint8_t nonce[CV_JOURNAL_SEAL_NONCE], const uint8_t *header,
		     size_t header_length, const uint8_t *plain, size_t length, uint8_t *out);
/* Opens what cv_journal_seal wrote; CV_E_CORRUPT if it fails authentication. */
enum cv_status cv_journal_unseal(const uint8_t key[32], const uint8_t *header, size_t header_length,
				 const uint8_t *sealed, size_t sealed_length, uint8_t *plain, size_t *length_out);
/* Wipes a secret so that the compiler can't skip it. */
void cv_journal_wipe(void *secret, size_t length);

#endif
