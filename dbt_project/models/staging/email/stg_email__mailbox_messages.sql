{#-
    Folder names that hold sent mail, compared case-insensitively with the folder's last
    segment (after its last '/' or '.'), so that `Sent`, `INBOX.Sent`, `Sent Items` and
    `[Gmail]/Sent Mail` all match. Overridable with the var `email_sent_folder_names`.
-#}
{%- set sent_folder_names = var(
    'email_sent_folder_names', ['sent', 'sent items', 'sent mail', 'sent messages']
) -%}

with

source as (

    {{ raw_table('email', 'mailbox_messages') }}

),

renamed as (

    select
        mailbox,
        folder,
        message_key,
        store as mail_store,
        location,
        flags,
        imap_uidvalidity,
        imap_uid,
        lower(trim({{ text_after_last("replace(folder, '.', '/')", '/') }})) in (
            {%- for name in sent_folder_names %}
            '{{ name | lower }}'{{ "," if not loop.last }}
            {%- endfor %}
        ) as is_sent_folder

    from source

)

select * from renamed
