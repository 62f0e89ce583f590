namespace saddle { void app_placeholder() {} }
