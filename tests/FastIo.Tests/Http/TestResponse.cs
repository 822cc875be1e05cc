namespace FastIo.Tests.Http;

/// <summary>A parsed response as seen by the test client.</summary>
internal sealed record TestResponse(int StatusCode, string StatusLine, List<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name)
    {
        foreach (var pair in Headers)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }
}
