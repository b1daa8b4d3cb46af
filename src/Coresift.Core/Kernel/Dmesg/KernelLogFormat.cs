namespace Coresift.Kernel.Dmesg;

/// <summary>The three ways kernels have kept their log, chosen from VMCOREINFO.</summary>
public enum KernelLogFormat
{
    /// <summary>Before 3.5: a plain character ring (log_buf, log_buf_len, log_end).</summary>
    PlainBuffer,

    /// <summary>3.5-5.9: variable-length struct printk_log records (struct log before 3.11).</summary>
    PrintkLog,

    /// <summary>5.10 and later: the lockless printk_ringbuffer (descriptors, infos, text data ring).</summary>
    PrintkRingbuffer,
}
