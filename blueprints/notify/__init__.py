"""The notify blueprint: the member's inbox (消息), reminder settings and this device's push switch."""
