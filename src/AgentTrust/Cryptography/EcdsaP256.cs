using System.Security.Cryptography;

namespace AgentTrust.Cryptography;

/// <summary>
/// ECDSA P-256 signature encodings: IEEE P1363 <c>r‖s</c> (64 bytes), low-S normalisation and strict DER conversion.
/// </summary>
public static class EcdsaP256
{
    /// <summary>Size of a P1363 signature in bytes.</summary>
    public const int SignatureSize = 64;

    /// <summary>Size of one coordinate, scalar or signature half in bytes.</summary>
    public const int FieldSize = 32;

    // n, the order of the P-256 group, and n/2 (floor), big-endian.
    private static ReadOnlySpan<byte> Order =>
    [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    ];

    private static ReadOnlySpan<byte> HalfOrder =>
    [
        0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
    ];

    /// <summary>Checks the structure of a P1363 signature: length, <c>0 &lt; r, s &lt; n</c>, and low-S unless allowed.</summary>
    public static SignatureStatus CheckEncoding(ReadOnlySpan<byte> signature, bool acceptHighS)
    {
        if (signature.Length != SignatureSize)
        {
            return SignatureStatus.WrongLength;
        }

        var r = signature[..FieldSize];
        var s = signature[FieldSize..];
        if (IsZero(r) || IsZero(s) || r.SequenceCompareTo(Order) >= 0 || s.SequenceCompareTo(Order) >= 0)
        {
            return SignatureStatus.OutOfRange;
        }

        return !acceptHighS && s.SequenceCompareTo(HalfOrder) > 0 ? SignatureStatus.HighS : SignatureStatus.Valid;
    }

    /// <summary>True when the <c>s</c> half of a 64-byte P1363 signature is at most n/2.</summary>
    public static bool IsLowS(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            throw new ArgumentException("A P1363 signature is 64 bytes.", nameof(signature));
        }

        return signature[FieldSize..].SequenceCompareTo(HalfOrder) <= 0;
    }

    /// <summary>Replaces <c>s</c> by <c>n − s</c> in place when <c>s &gt; n/2</c>; the signature stays valid.</summary>
    public static void NormalizeToLowS(Span<byte> signature)
    {
        if (IsLowS(signature))
        {
            return;
        }

        // s := n - s, big-endian subtraction with borrow.
        var s = signature[FieldSize..];
        var borrow = 0;
        for (var i = FieldSize - 1; i >= 0; i--)
        {
            var diff = Order[i] - s[i] - borrow;
            borrow = diff < 0 ? 1 : 0;
            s[i] = (byte)(diff + (borrow << 8));
        }
    }

    /// <summary>
    /// Converts a strict DER <c>ECDSA-Sig-Value</c> to P1363. Non-minimal lengths or integers, negative integers,
    /// values wider than 32 bytes and trailing bytes are rejected, never repaired.
    /// </summary>
    public static bool TryConvertDerToP1363(ReadOnlySpan<byte> der, Span<byte> p1363)
    {
        if (p1363.Length != SignatureSize || der.Length < 8 || der.Length > 72)
        {
            return false;
        }

        if (der[0] != 0x30 || der[1] != der.Length - 2 || der[1] >= 0x80)
        {
            return false;
        }

        var rest = der[2..];
        if (!TryReadInteger(ref rest, p1363[..FieldSize]) || !TryReadInteger(ref rest, p1363[FieldSize..]) || !rest.IsEmpty)
        {
            p1363.Clear();
            return false;
        }

        return true;
    }

    /// <summary>Converts a P1363 signature to minimal DER.</summary>
    public static byte[] ConvertP1363ToDer(ReadOnlySpan<byte> p1363)
    {
        if (p1363.Length != SignatureSize)
        {
            throw new ArgumentException("A P1363 signature is 64 bytes.", nameof(p1363));
        }

        var r = MinimalInteger(p1363[..FieldSize]);
        var s = MinimalInteger(p1363[FieldSize..]);
        var der = new byte[2 + 2 + r.Length + 2 + s.Length];
        der[0] = 0x30;
        der[1] = (byte)(der.Length - 2);
        der[2] = 0x02;
        der[3] = (byte)r.Length;
        r.CopyTo(der.AsSpan(4));
        der[4 + r.Length] = 0x02;
        der[5 + r.Length] = (byte)s.Length;
        s.CopyTo(der.AsSpan(6 + r.Length));
        return der;
    }

    /// <summary>Creates an <see cref="ECDsa"/> public key from affine coordinates, validating that the point is on P-256.</summary>
    internal static ECDsa ImportPublicKey(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != FieldSize || y.Length != FieldSize)
        {
            throw new CryptographicException("P-256 coordinates are 32 bytes each.");
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() },
        };
        parameters.Validate();
        return ECDsa.Create(parameters);
    }

    private static bool TryReadInteger(ref ReadOnlySpan<byte> input, Span<byte> destination)
    {
        if (input.Length < 3 || input[0] != 0x02)
        {
            return false;
        }

        int length = input[1];
        if (length == 0 || length >= 0x80 || input.Length < 2 + length)
        {
            return false;
        }

        var value = input.Slice(2, length);
        input = input[(2 + length)..];

        if ((value[0] & 0x80) != 0)
        {
            return false; // negative
        }

        if (value.Length > 1 && value[0] == 0 && (value[1] & 0x80) == 0)
        {
            return false; // non-minimal leading zero
        }

        if (value[0] == 0)
        {
            value = value[1..];
        }

        if (value.Length > FieldSize)
        {
            return false;
        }

        destination.Clear();
        value.CopyTo(destination[(FieldSize - value.Length)..]);
        return true;
    }

    private static byte[] MinimalInteger(ReadOnlySpan<byte> half)
    {
        var start = 0;
        while (start < half.Length - 1 && half[start] == 0)
        {
            start++;
        }

        var trimmed = half[start..];
        if ((trimmed[0] & 0x80) == 0)
        {
            return trimmed.ToArray();
        }

        var withSign = new byte[trimmed.Length + 1];
        trimmed.CopyTo(withSign.AsSpan(1));
        return withSign;
    }

    private static bool IsZero(ReadOnlySpan<byte> value) => !value.ContainsAnyExcept((byte)0);
}
