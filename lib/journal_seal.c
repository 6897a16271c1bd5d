/* SPDX-License-Identifier: MIT */
/* Journal sealing with libsodium; see journal_seal.h. */
#include <string.h>

#include <sodium.h>

#include "journal_seal.h"

void cv_journal_seal(const uint8_t key[32], const uint8_t nonce[CV_JOURNAL_SEAL_NONCE], const uint8_t *header,
		     size_t header_length, const uint8_t *plain, size_t length, uint8_t *out)
{
	unsigned long long sealed_length = 0;
	memcpy(out, nonce, CV_JOURNAL_SEAL_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + CV_JOURNAL_SEAL_NONCE, &sealed_length, plain, length, header,
						   header_length, NULL, nonce, key);
}

enum cv_status cv_journal_unseal(const uint8_t key[32], const uint8_t *header, size_t header_length,
				 const uint8_t *sealed, size_t sealed_length, uint8_t *plain, size_t *length_out)
{
	unsigned long long length = 0;
	if (sealed_length < CV_JOURNAL_SEAL_OVERHEAD)
		return CV_E_CORRUPT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &length, NULL, sealed + CV_JOURNAL_SEAL_NONCE,
						       sealed_length - CV_JOURNAL_SEAL_NONCE, header, header_length,
						       sealed, key) != 0)
		return CV_E_CORRUPT;
	*length_out = (size_t)length;
	return CV_OK;
}

void cv_journal_wipe(void *secret, size_t length)
{
	sodium_memzero(secret, length);
}
