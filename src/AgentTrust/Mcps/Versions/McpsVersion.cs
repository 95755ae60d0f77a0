using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace AgentTrust.Mcps.Versions;

/// <summary>
/// An MCPS version: numeric dot-separated components, trailing <c>.0</c> components insignificant (<c>1.0.0</c> ≡
/// <c>1.0</c> ≡ <c>1</c>). Any other string is malformed and ignored, never an exception (mcps.md §12).
/// </summary>
public sealed class McpsVersion : IEquatable<McpsVersion>, IComparable<McpsVersion>
{
    private readonly int[] _components;

    private McpsVersion(int[] components, string text)
    {
        _components = components;
        Text = text;
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }

    /// <summary>Parses a version; false for anything but 1–8 numeric components of at most 6 digits each.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out McpsVersion? version)
    {
        version = null;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length > 8)
        {
            return false;
        }

        var components = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 6 || !part.All(char.IsAsciiDigit))
            {
                return false;
            }

            components[i] = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        var length = components.Length;
        while (length > 1 && components[length - 1] == 0)
        {
            length--;
        }

        version = new McpsVersion(components[..length], text);
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(McpsVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        for (var i = 0; i < Math.Max(_components.Length, other._components.Length); i++)
        {
            var a = i < _components.Length ? _components[i] : 0;
            var b = i < other._components.Length ? other._components[i] : 0;
            if (a != b)
            {
                return a.CompareTo(b);
            }
        }

        return 0;
    }

    /// <inheritdoc />
    public bool Equals(McpsVersion? other) => other is not null && CompareTo(other) == 0;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is McpsVersion other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var c in _components)
        {
            hash.Add(c);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Compares two versions.</summary>
    public static bool operator ==(McpsVersion? left, McpsVersion? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares two versions.</summary>
    public static bool operator !=(McpsVersion? left, McpsVersion? right) => !(left == right);

    /// <summary>Compares two versions.</summary>
    public static bool operator <(McpsVersion? left, McpsVersion? right) => left is null ? right is not null : left.CompareTo(right) < 0;

    /// <summary>Compares two versions.</summary>
    public static bool operator >(McpsVersion? left, McpsVersion? right) => left is not null && left.CompareTo(right) > 0;

    /// <summary>Compares two versions.</summary>
    public static bool operator <=(McpsVersion? left, McpsVersion? right) => !(left > right);

    /// <summary>Compares two versions.</summary>
    public static bool operator >=(McpsVersion? left, McpsVersion? right) => !(left < right);
}
