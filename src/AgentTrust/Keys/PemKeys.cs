using System.Formats.Asn1;
using System.Security.Cryptography;
using AgentTrust.Cryptography;

namespace AgentTrust.Keys;

/// <summary>
/// PEM and DER key encodings for the two accepted algorithms. P-256: SubjectPublicKeyInfo (<c>BEGIN PUBLIC KEY</c>),
/// PKCS#8 (<c>BEGIN PRIVATE KEY</c>, emitted) and SEC1 (<c>BEGIN EC PRIVATE KEY</c>, accepted). Ed25519: RFC 8410
/// SubjectPublicKeyInfo and PKCS#8. Reading is strict DER: one PEM block and nothing else, no trailing bytes, the exact
/// algorithm and curve identifiers, public parts that match the private key; encrypted PEM is refused by name.
/// </summary>
public static class PemKeys
{
    /// <summary>The PEM label of a SubjectPublicKeyInfo.</summary>
    public const string PublicKeyLabel = "PUBLIC KEY";

    /// <summary>The PEM label of an unencrypted PKCS#8 private key.</summary>
    public const string PrivateKeyLabel = "PRIVATE KEY";

    /// <summary>The PEM label of a SEC1 EC private key.</summary>
    public const string EcPrivateKeyLabel = "EC PRIVATE KEY";

    /// <summary>Largest PEM text read, in characters (a P-256 or Ed25519 key is far smaller).</summary>
    public const int MaxPemLength = 16 * 1024;

    internal const string IdEcPublicKey = "1.2.840.10045.2.1";
    internal const string IdPrime256v1 = "1.2.840.10045.3.1.7";
    internal const string IdEd25519 = "1.3.101.112";

    private const int P256PointSize = 65;

    /// <summary>The SubjectPublicKeyInfo DER of <paramref name="key"/>.</summary>
    public static byte[] ExportSubjectPublicKeyInfo(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteAlgorithmIdentifier(writer, key.Algorithm);
            writer.WriteBitString(key.RawPublicKey.Span);
        }

        return writer.Encode();
    }

    /// <summary>The <c>BEGIN PUBLIC KEY</c> PEM of <paramref name="key"/> (64-character lines, final newline).</summary>
    public static string ExportPublicKeyPem(VerificationKey key) =>
        new string(PemEncoding.Write(PublicKeyLabel, ExportSubjectPublicKeyInfo(key))) + "\n";

    /// <summary>
    /// The unencrypted PKCS#8 DER of <paramref name="key"/>. P-256 keys carry the public point in the inner
    /// ECPrivateKey (as OpenSSL writes it). The result is a secret: zero it after use.
    /// </summary>
    public static byte[] ExportPkcs8(SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var privateKey = GC.AllocateArray<byte>(SigningKey.PrivateKeySize, pinned: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        var inner = new AsnWriter(AsnEncodingRules.DER);
        try
        {
            key.ExportPrivateKey(privateKey);
            if (key.Algorithm == SignatureAlgorithm.EdDSA)
            {
                inner.WriteOctetString(privateKey);
            }
            else
            {
                using (inner.PushSequence())
                {
                    inner.WriteInteger(1);
                    inner.WriteOctetString(privateKey);
                    var publicKeyTag = new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true);
                    using (inner.PushSequence(publicKeyTag))
                    {
                        inner.WriteBitString(key.PublicKey.RawPublicKey.Span);
                    }
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteInteger(0);
                WriteAlgorithmIdentifier(writer, key.Algorithm);
                var innerBytes = inner.Encode();
                try
                {
                    writer.WriteOctetString(innerBytes);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(innerBytes);
                }
            }

            return writer.Encode();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
            inner.Reset();
            writer.Reset();
        }
    }

    /// <summary>
    /// The <c>BEGIN PRIVATE KEY</c> (PKCS#8) PEM of <paramref name="key"/>. A .NET string cannot be zeroed: write it
    /// where it must go and drop the reference.
    /// </summary>
    public static string ExportPrivateKeyPem(SigningKey key)
    {
        var der = ExportPkcs8(key);
        try
        {
            return new string(PemEncoding.Write(PrivateKeyLabel, der)) + "\n";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>True when <paramref name="text"/> looks like PEM (a <c>-----BEGIN </c> line), whatever its content.</summary>
    public static bool LooksLikePem(ReadOnlySpan<char> text) => text.TrimStart().StartsWith("-----BEGIN ", StringComparison.Ordinal);

    /// <summary>
    /// Reads a PEM key: a public key gives only <paramref name="verificationKey"/>, a private key gives both.
    /// Returns false with a typed <paramref name="error"/> and a message that never contains key material.
    /// </summary>
    public static bool TryImport(ReadOnlySpan<char> pem, out SigningKey? signingKey, out VerificationKey? verificationKey, out KeyFormatError error, out string? message)
    {
        signingKey = null;
        verificationKey = null;
        try
        {
            var (label, der) = ReadSingleBlock(pem);
            try
            {
                switch (label)
                {
                    case PublicKeyLabel:
                        verificationKey = ImportSubjectPublicKeyInfo(der);
                        break;
                    case PrivateKeyLabel:
                        signingKey = ImportPkcs8(der);
                        verificationKey = signingKey.PublicKey;
                        break;
                    default:
                        signingKey = ImportSec1(der);
                        verificationKey = signingKey.PublicKey;
                        break;
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(der);
            }

            error = KeyFormatError.None;
            message = null;
            return true;
        }
        catch (KeyFormatException e)
        {
            error = e.Error;
            message = e.Message;
            return false;
        }
    }

    /// <summary>Reads a <c>BEGIN PUBLIC KEY</c> PEM.</summary>
    /// <exception cref="KeyFormatException">The text is not exactly one valid public key PEM of an accepted algorithm.</exception>
    public static VerificationKey ImportPublicKeyPem(ReadOnlySpan<char> pem)
    {
        var (label, der) = ReadSingleBlock(pem);
        if (label != PublicKeyLabel)
        {
            CryptographicOperations.ZeroMemory(der);
            throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, $"Expected a '{PublicKeyLabel}' PEM, found '{label}'.");
        }

        return ImportSubjectPublicKeyInfo(der);
    }

    /// <summary>Reads a <c>BEGIN PRIVATE KEY</c> (PKCS#8) or <c>BEGIN EC PRIVATE KEY</c> (SEC1) PEM.</summary>
    /// <exception cref="KeyFormatException">The text is not exactly one valid private key PEM of an accepted algorithm.</exception>
    public static SigningKey ImportPrivateKeyPem(ReadOnlySpan<char> pem)
    {
        var (label, der) = ReadSingleBlock(pem);
        try
        {
            return label switch
            {
                PrivateKeyLabel => ImportPkcs8(der),
                EcPrivateKeyLabel => ImportSec1(der),
                _ => throw new KeyFormatException(KeyFormatError.UnrecognisedFormat, $"Expected a private key PEM, found '{label}'."),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>Reads a DER SubjectPublicKeyInfo (P-256 or Ed25519).</summary>
    /// <exception cref="KeyFormatException">The DER is malformed, has trailing bytes, or holds another algorithm.</exception>
    public static VerificationKey ImportSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var spki = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = ReadAlgorithmIdentifier(spki);
            var publicKey = spki.ReadBitString(out var unusedBits);
            spki.ThrowIfNotEmpty();
            if (unusedBits != 0)
            {
                throw Malformed("the public key bit string has unused bits");
            }

            return ToVerificationKey(algorithm, publicKey);
        }
        catch (AsnContentException)
        {
            throw Malformed("the SubjectPublicKeyInfo is not valid DER");
        }
    }

    /// <summary>Reads an unencrypted DER PKCS#8 private key (P-256 or Ed25519). Zero your input after.</summary>
    /// <exception cref="KeyFormatException">The DER is malformed, has trailing bytes, holds another algorithm, or its parts disagree.</exception>
    public static SigningKey ImportPkcs8(ReadOnlySpan<byte> der)
    {
        var copy = GC.AllocateArray<byte>(der.Length, pinned: true);
        der.CopyTo(copy);
        byte[]? privateKeyField = null;
        try
        {
            var reader = new AsnReader(copy, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!info.TryReadInt32(out var version) || version is not (0 or 1))
            {
                throw Malformed("the PKCS#8 version must be 0 or 1");
            }

            var algorithm = ReadAlgorithmIdentifier(info);
            privateKeyField = info.ReadOctetString();
            var attributesTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            if (info.HasData && info.PeekTag().HasSameClassAndValue(attributesTag))
            {
                _ = info.ReadEncodedValue();
            }

            byte[]? outerPublicKey = null;
            var publicKeyTag = new Asn1Tag(TagClass.ContextSpecific, 1);
            if (info.HasData && version == 1 && info.PeekTag().HasSameClassAndValue(publicKeyTag))
            {
                outerPublicKey = info.ReadBitString(out var unused, publicKeyTag);
                if (unused != 0)
                {
                    throw Malformed("the PKCS#8 public key has unused bits");
                }
            }

            info.ThrowIfNotEmpty();

            SigningKey key;
            if (algorithm == SignatureAlgorithm.EdDSA)
            {
                var seedReader = new AsnReader(privateKeyField, AsnEncodingRules.DER);
                var seed = seedReader.ReadOctetString();
                try
                {
                    seedReader.ThrowIfNotEmpty();
                    if (seed.Length != Ed25519.SeedSize)
                    {
                        throw new KeyFormatException(KeyFormatError.InvalidKey, "An Ed25519 private key is a 32-byte seed.");
                    }

                    key = SigningKey.Import(SignatureAlgorithm.EdDSA, seed);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(seed);
                }
            }
            else
            {
                key = ReadEcPrivateKey(privateKeyField, curveRequired: false);
            }

            if (outerPublicKey is not null && !outerPublicKey.AsSpan().SequenceEqual(key.PublicKey.RawPublicKey.Span))
            {
                key.Dispose();
                throw new KeyFormatException(KeyFormatError.InvalidKey, "The PKCS#8 public key does not match its private key.");
            }

            return key;
        }
        catch (AsnContentException)
        {
            throw Malformed("the PKCS#8 structure is not valid DER");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
            if (privateKeyField is not null)
            {
                CryptographicOperations.ZeroMemory(privateKeyField);
            }
        }
    }

    /// <summary>Reads a DER SEC1 <c>ECPrivateKey</c>; its curve parameters must be present and name P-256. Zero your input after.</summary>
    /// <exception cref="KeyFormatException">The DER is malformed, has trailing bytes, names another curve, or its parts disagree.</exception>
    public static SigningKey ImportSec1(ReadOnlySpan<byte> der)
    {
        var copy = GC.AllocateArray<byte>(der.Length, pinned: true);
        der.CopyTo(copy);
        try
        {
            return ReadEcPrivateKey(copy, curveRequired: true);
        }
        catch (AsnContentException)
        {
            throw Malformed("the EC private key is not valid DER");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }

    private static SigningKey ReadEcPrivateKey(byte[] der, bool curveRequired)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        if (!sequence.TryReadInt32(out var version) || version != 1)
        {
            throw Malformed("the ECPrivateKey version must be 1");
        }

        var d = sequence.ReadOctetString();
        try
        {
            var parametersTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
            var curvePresent = false;
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(parametersTag))
            {
                var parameters = sequence.ReadSequence(parametersTag);
                if (!parameters.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
                {
                    throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, "Explicit curve parameters are not accepted; only the named curve P-256.");
                }

                CheckCurve(parameters.ReadObjectIdentifier());
                parameters.ThrowIfNotEmpty();
                curvePresent = true;
            }

            if (curveRequired && !curvePresent)
            {
                throw Malformed("the EC private key does not name its curve");
            }

            byte[]? publicKey = null;
            var publicKeyTag = new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true);
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(publicKeyTag))
            {
                var wrapper = sequence.ReadSequence(publicKeyTag);
                publicKey = wrapper.ReadBitString(out var unused);
                wrapper.ThrowIfNotEmpty();
                if (unused != 0)
                {
                    throw Malformed("the EC public key has unused bits");
                }
            }

            sequence.ThrowIfNotEmpty();
            if (d.Length != SigningKey.PrivateKeySize)
            {
                throw new KeyFormatException(KeyFormatError.InvalidKey, "A P-256 private key is a 32-byte scalar.");
            }

            SigningKey key;
            try
            {
                key = SigningKey.Import(SignatureAlgorithm.ES256, d);
            }
            catch (CryptographicException)
            {
                throw new KeyFormatException(KeyFormatError.InvalidKey, "The P-256 private scalar is out of range.");
            }

            if (publicKey is not null && !publicKey.AsSpan().SequenceEqual(key.PublicKey.RawPublicKey.Span))
            {
                key.Dispose();
                throw new KeyFormatException(KeyFormatError.InvalidKey, "The EC public key does not match its private key.");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    private static (string Label, byte[] Der) ReadSingleBlock(ReadOnlySpan<char> pem)
    {
        if (pem.IsEmpty || pem.Length > MaxPemLength)
        {
            throw new KeyFormatException(KeyFormatError.Empty, "The PEM text is empty or too large.");
        }

        if (pem.Contains("Proc-Type:", StringComparison.OrdinalIgnoreCase) || pem.Contains("-----BEGIN ENCRYPTED ", StringComparison.Ordinal))
        {
            throw new KeyFormatException(KeyFormatError.EncryptedNotSupported, "Encrypted PEM keys are not accepted; decrypt the key first (for example with openssl pkcs8).");
        }

        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw Malformed("no complete PEM block was found");
        }

        if (!pem[..fields.Location.Start].IsWhiteSpace() || !pem[fields.Location.End..].IsWhiteSpace())
        {
            throw Malformed("the PEM block has other text or a second block around it");
        }

        var label = pem[fields.Label].ToString();
        if (label is not (PublicKeyLabel or PrivateKeyLabel or EcPrivateKeyLabel))
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"PEM type '{label}' is not accepted (only PUBLIC KEY, PRIVATE KEY and EC PRIVATE KEY).");
        }

        var der = GC.AllocateArray<byte>(fields.DecodedDataLength, pinned: true);
        if (!Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out var written) || written != der.Length)
        {
            CryptographicOperations.ZeroMemory(der);
            throw Malformed("the PEM body is not valid base64");
        }

        return (label, der);
    }

    private static SignatureAlgorithm ReadAlgorithmIdentifier(AsnReader reader)
    {
        var identifier = reader.ReadSequence();
        var oid = identifier.ReadObjectIdentifier();
        switch (oid)
        {
            case IdEd25519:
                if (identifier.HasData)
                {
                    throw Malformed("an Ed25519 algorithm identifier has no parameters (RFC 8410)");
                }

                return SignatureAlgorithm.EdDSA;
            case IdEcPublicKey:
                if (!identifier.HasData || !identifier.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
                {
                    throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, "Only the named curve P-256 is accepted (explicit or implicit curve parameters are not).");
                }

                CheckCurve(identifier.ReadObjectIdentifier());
                identifier.ThrowIfNotEmpty();
                return SignatureAlgorithm.ES256;
            default:
                throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Key algorithm {NameOf(oid)} is not accepted (only EC P-256 and Ed25519).");
        }
    }

    private static void CheckCurve(string curveOid)
    {
        if (curveOid != IdPrime256v1)
        {
            throw new KeyFormatException(KeyFormatError.UnsupportedAlgorithm, $"Curve {NameOf(curveOid)} is not accepted (only P-256).");
        }
    }

    private static VerificationKey ToVerificationKey(SignatureAlgorithm algorithm, byte[] publicKey)
    {
        if (algorithm == SignatureAlgorithm.EdDSA)
        {
            if (publicKey.Length != Ed25519.PublicKeySize)
            {
                throw new KeyFormatException(KeyFormatError.InvalidKey, "An Ed25519 public key is 32 bytes.");
            }

            return VerificationKey.ImportEd25519(publicKey);
        }

        if (publicKey.Length != P256PointSize || publicKey[0] != 0x04)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "A P-256 public key must be the 65-byte uncompressed point (compressed points are not accepted).");
        }

        try
        {
            return VerificationKey.ImportP256Uncompressed(publicKey);
        }
        catch (CryptographicException)
        {
            throw new KeyFormatException(KeyFormatError.InvalidKey, "The point is not on P-256.");
        }
    }

    private static void WriteAlgorithmIdentifier(AsnWriter writer, SignatureAlgorithm algorithm)
    {
        using (writer.PushSequence())
        {
            if (algorithm == SignatureAlgorithm.EdDSA)
            {
                writer.WriteObjectIdentifier(IdEd25519);
            }
            else
            {
                writer.WriteObjectIdentifier(IdEcPublicKey);
                writer.WriteObjectIdentifier(IdPrime256v1);
            }
        }
    }

    private static string NameOf(string oid) => oid switch
    {
        "1.2.840.113549.1.1.1" => "RSA (1.2.840.113549.1.1.1)",
        "1.2.840.10040.4.1" => "DSA (1.2.840.10040.4.1)",
        "1.3.101.110" => "X25519 (1.3.101.110)",
        "1.3.101.111" => "X448 (1.3.101.111)",
        "1.3.101.113" => "Ed448 (1.3.101.113)",
        "1.3.132.0.10" => "secp256k1 (1.3.132.0.10)",
        "1.3.132.0.34" => "P-384 (1.3.132.0.34)",
        "1.3.132.0.35" => "P-521 (1.3.132.0.35)",
        "1.2.840.10045.3.1.1" => "P-192 (1.2.840.10045.3.1.1)",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7)",
        _ => oid,
    };

    private static KeyFormatException Malformed(string what) => new(KeyFormatError.Malformed, $"Malformed key: {what}.");
}
