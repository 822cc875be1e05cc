using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// The arguments of an outgoing packet, written straight into its JSON array. The implementations are structs used
/// as generic arguments, so a typed acknowledgement (<c>Ack&lt;T&gt;(value)</c>) reaches System.Text.Json without a
/// <c>params</c> array or boxing.
/// </summary>
internal interface IPacketArguments
{
    /// <summary>Writes each argument as one element of the array that is open in <paramref name="writer"/>.</summary>
    void Write(Utf8JsonWriter writer, JsonSerializerOptions options);
}

/// <summary>Arguments given as objects (the <c>params object?[]</c> API), serialized by their runtime type.</summary>
internal readonly ref struct ObjectArguments(ReadOnlySpan<object?> args) : IPacketArguments
{
    private readonly ReadOnlySpan<object?> _args = args;

    public void Write(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        foreach (var arg in _args)
        {
            PacketArgument.Write(writer, arg, options);
        }
    }
}

/// <summary>One typed argument.</summary>
internal readonly struct Arguments<T>(T value) : IPacketArguments
{
    public void Write(Utf8JsonWriter writer, JsonSerializerOptions options) => PacketArgument.Write(writer, value, options);
}

/// <summary>Two typed arguments.</summary>
internal readonly struct Arguments<T1, T2>(T1 first, T2 second) : IPacketArguments
{
    public void Write(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        PacketArgument.Write(writer, first, options);
        PacketArgument.Write(writer, second, options);
    }
}

/// <summary>One argument given as raw JSON (written as is, after System.Text.Json checked it is one valid value).</summary>
internal readonly ref struct RawArgument(ReadOnlySpan<byte> json) : IPacketArguments
{
    private readonly ReadOnlySpan<byte> _json = json;

    public void Write(Utf8JsonWriter writer, JsonSerializerOptions options) => writer.WriteRawValue(_json, skipInputValidation: false);
}

/// <summary>No arguments (an empty acknowledgement).</summary>
internal readonly struct NoArguments : IPacketArguments
{
    public void Write(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
    }
}

/// <summary>How one argument is written, whatever way it was given.</summary>
internal static class PacketArgument
{
    /// <summary>
    /// Writes <paramref name="value"/>: null as <c>null</c>, a <see cref="JsonElement"/> as its JSON, anything else
    /// through System.Text.Json. Value types go through the generic serializer (no boxing); reference types by
    /// their runtime type, as the <c>params object?[]</c> API always did, so a derived type keeps its properties.
    /// </summary>
    public static void Write<T>(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (typeof(T) == typeof(JsonElement))
        {
            System.Runtime.CompilerServices.Unsafe.As<T, JsonElement>(ref value).WriteTo(writer);
        }
        else if (typeof(T).IsValueType)
        {
            JsonSerializer.Serialize(writer, value, options);
        }
        else if (value is JsonElement element)
        {
            element.WriteTo(writer);
        }
        else
        {
            JsonSerializer.Serialize(writer, value, value.GetType(), options);
        }
    }
}
