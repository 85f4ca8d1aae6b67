with

source as (

    {{ raw_table('crm', 'emails') }}

),

headers as (

    select
        id as email_id,
        -- a JSON document kept as text inside the properties: from, to, cc, bcc
        {{ crm_property('hs_email_headers') }} as email_headers

    from source

),

recipients as (

    select
        headers.email_id,
        {{ dbt.listagg(
            "lower(trim(" ~ json_text('recipient.element', ['email']) ~ "))",
            "','",
            "order by lower(trim(" ~ json_text('recipient.element', ['email']) ~ "))",
        ) }} as to_emails

    from headers
    {{ json_array_elements('headers.email_headers', 'recipient', ['to']) }}
    group by headers.email_id

),

renamed as (

    select
        source.id as email_id,
        {{ crm_property('hubspot_owner_id') }} as owner_id,
        {{ crm_timestamp('hs_timestamp') }} as activity_at,
        upper({{ crm_property('hs_email_direction') }}) as email_direction,
        coalesce(upper({{ crm_property('hs_email_direction') }}) = 'INCOMING_EMAIL', false)
            as is_inbound,
        upper({{ crm_property('hs_email_status') }}) as email_status,
        {{ crm_property('hs_email_subject') }} as email_subject,
        lower(trim({{ json_text('headers.email_headers', ['from', 'email']) }})) as from_email,
        recipients.to_emails,
        coalesce({{ crm_timestamp('createdate') }}, source.created_at) as email_created_at,
        source.updated_at,
        coalesce(source.archived, false) as is_archived,
        source.archived_at

    from source
    left join headers
        on source.id = headers.email_id
    left join recipients
        on source.id = recipients.email_id

)

select * from renamed
