namespace FastIo.EngineIO;

/// <summary>Looks up <c>application/x-www-form-urlencoded</c> query parameters without building a dictionary.</summary>
public static class QueryStringParser
{
    /// <summary>The first value of <paramref name="name"/> in <paramref name="query"/> ('+' is a space, %XX decoded as UTF-8), or null.</summary>
    public static string? Get(ReadOnlySpan<char> query, string name)
    {
        while (!query.IsEmpty)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? default : query[(amp + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (key.SequenceEqual(name))
            {
                return eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    private static string Decode(ReadOnlySpan<char> value)
    {
        if (value.IndexOfAny('%', '+') < 0)
        {
            return value.ToString();
        }

        return Uri.UnescapeDataString(value.ToString().Replace('+', ' '));
    }
}
