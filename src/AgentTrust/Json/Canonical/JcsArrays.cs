using System.Buffers;

namespace AgentTrust.Json.Canonical;

/// <summary>
/// Working arrays: small ones from <see cref="ArrayPool{T}.Shared"/>; very large ones (documents of tens of MiB)
/// allocated plainly and left to the GC, so the shared pool never keeps hundreds of MiB alive after one big document.
/// </summary>
internal static class JcsArrays
{
    private const int PoolLimit = 1 << 20;

    public static T[] Rent<T>(int length) => length <= PoolLimit
        ? ArrayPool<T>.Shared.Rent(length)
        : GC.AllocateUninitializedArray<T>(length);

    public static void Return<T>(T[] array)
    {
        if (array.Length is > 0 and <= PoolLimit)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }

    /// <summary>Grows <paramref name="array"/> to hold at least <paramref name="needed"/> items (doubling, at most <paramref name="cap"/> when that suffices).</summary>
    public static void Grow<T>(ref T[] array, int used, int needed, int cap)
    {
        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)needed, Math.Max(16L, (long)array.Length * 2)));
        if (cap >= needed)
        {
            size = Math.Min(size, cap);
        }

        var bigger = Rent<T>(size);
        array.AsSpan(0, used).CopyTo(bigger);
        Return(array);
        array = bigger;
    }
}
